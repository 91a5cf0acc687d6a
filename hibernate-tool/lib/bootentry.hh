// SPDX-License-Identifier: LGPL-2.1-or-later
// The next boot must run the kernel that wrote the image: find the boot loader entry of a
// kernel release (GRUB's generated grub.cfg or BLS entries, systemd-boot's BLS entries)
// and make it the one-shot next boot — GRUB's grubenv next_entry, systemd-boot's
// LoaderEntryOneShot — with /boot kept consistent *on disk*: GRUB reads the disk, not our
// page cache, and it does not replay an ext4/XFS journal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.hh"

namespace ht {

class Host;

// ---- pure parsers -------------------------------------------------------------------------

// Kernel release of an x86 bzImage (boot protocol ≥ 2.0: "HdrS" at 0x202, the version
// string's offset at 0x20e, relative to 0x200). head = the first bytes of the file.
std::optional<std::string> bzimage_release(std::string_view head);

// GRUB's environment block: exactly 1024 bytes, "# GRUB Environment Block\n", then
// name=value lines (backslash escapes \\ and \n), padded with '#'.
inline constexpr size_t GRUBENV_SIZE = 1024;
struct GrubEnv {
        std::vector<std::pair<std::string, std::string>> vars;
        std::optional<std::string> get(const std::string &name) const;
        void set(const std::string &name, const std::string &value);
        void unset(const std::string &name);
};
Result<GrubEnv> parse_grubenv(std::string_view block);
Result<std::string> format_grubenv(const GrubEnv &env);  // EFBIG when it does not fit

// Boot Loader Specification type #1 entry (loader/entries/*.conf).
struct BlsEntry {
        std::string id;       // file name without .conf
        std::string title, version, linux, options;
};
BlsEntry parse_bls_entry(std::string id, std::string_view text);
// The *.conf entries of a BLS directory (loader/entries), in file-name order; unreadable
// files are skipped.
Result<std::vector<BlsEntry>> read_bls_dir(const Host &host, const std::string &dir);

// ---- the running system -------------------------------------------------------------------

enum class BootLoader { None, Grub, SystemdBoot };
const char *boot_loader_name(BootLoader b);

// Where GRUB keeps its environment and whether GRUB itself can write there at boot
// (save_env clears next_entry): it cannot on btrfs, ZFS, LVM/device-mapper, md RAID.
struct GrubEnvPlace {
        std::string path;      // /boot/grub/grubenv inside the root
        std::string fstype;
        std::string source;    // block device
        bool exists = false;
        bool grub_can_write = false;
        std::string why_not;   // when !grub_can_write
};

struct BootTarget {
        BootLoader loader = BootLoader::None;
        std::string entry_id;  // GRUB: next_entry value ("submenu-id>entry-id"); sd-boot: entry id
        std::string title;
        std::string kernel;    // kernel path as the boot loader sees it
        std::string cmdline;   // the entry's kernel command line
        std::string config;    // grub.cfg or the BLS entry file (inside the root)
        std::optional<GrubEnvPlace> env;  // GRUB only
};

// /boot as a separate filesystem that fstab knows and that is not mounted now is mounted
// (libmount, fstab options) for the duration of a BootAccess and unmounted afterwards;
// every write is flushed to the disk before the destructor returns.
class BootAccess {
public:
        static Result<BootAccess> open(const Host &host);
        BootAccess(BootAccess &&o) noexcept;
        BootAccess &operator=(BootAccess &&) = delete;
        ~BootAccess();

        bool mounted_by_us() const { return mounted_by_us_; }
        const std::string &mountpoint() const { return mountpoint_; }  // "/boot" when separate
        // Unmounts now (if we mounted) and reports errors; the destructor does it otherwise.
        Status close();

private:
        BootAccess(const Host &h) : host_(&h) {}
        const Host *host_;
        std::string mountpoint_;
        bool mounted_by_us_ = false;
};

// The generated GRUB configuration inside the root (/boot/grub/grub.cfg, else
// /boot/grub2/grub.cfg), nullopt when there is none.
std::optional<std::string> grub_config_path(const Host &host);

// A string EFI variable of the boot loader interface (vendor 4a67b082-…): UTF-16LE after
// the 4-byte attribute word, up to the first NUL; non-ASCII characters become '?'.
std::optional<std::string> read_loader_efi_string(const Host &host, const std::string &name);

// A recovery / rescue / fallback entry (title or command line): chosen last.
bool is_recovery(const std::string &title, const std::string &cmdline);
// The kernel file `kernel` (a boot loader path, looked up under /boot and /) is
// vmlinuz-<release> or a bzImage that carries that release.
bool boots_release(const Host &host, const std::string &kernel, const std::string &release);

// Finds the entry that boots kernel `release`: an entry whose kernel file is
// vmlinuz-<release>, or whose bzImage carries that release; recovery entries last.
// Errors: ENOENT when no boot loader configuration is found, ESRCH when none boots it.
Result<BootTarget> find_boot_target(const Host &host, const std::string &release);

// Writes a file that the boot loader reads so that it is on the disk itself: atomic
// replace (temp, fsync, rename, fsync dir), then, on a separate /boot only, the
// filesystem's journal is checkpointed (FIFREEZE + FITHAW); the filesystem holding "/" is
// never frozen (syncfs only). Nothing beyond the fsyncs for a --root other than "/".
Status write_boot_file(const Host &host, const std::string &abs, std::string_view content, mode_t mode = 0644);

// GRUB's own design for its environment block: rewrite the existing 1024-byte file in
// place, in the blocks it already has, so no filesystem metadata changes and GRUB (which
// does not replay journals) reads the new bytes once they are on disk. Checks the extents
// (FIEMAP: allocated, plain, covering the block) before, writes + fdatasync, and checks
// that the extents did not move and the bytes read back. false: in place is impossible
// here (missing file, other size, btrfs, no FIEMAP) and nothing was written.
Result<bool> grubenv_write_in_place(const Host &host, const std::string &abs, std::string_view bytes);

// Reads, changes (value nullopt: unset) and writes next_entry in the grubenv; returns the
// previous value. Refuses a grubenv it does not understand; creates a missing one.
// *in_place (when given) tells how the block was written: true = in place
// (grubenv_write_in_place), false = replaced (write_boot_file).
Result<std::optional<std::string>> grubenv_set_next_entry(const Host &host, const GrubEnvPlace &env,
                                                          const std::optional<std::string> &value,
                                                          bool *in_place = nullptr);
// The current next_entry (nullopt when unset or no grubenv).
std::optional<std::string> grubenv_next_entry(const Host &host, const GrubEnvPlace &env);

// systemd-boot one-shot through `bootctl set-oneshot` (LoaderEntryOneShot); "" clears it.
Status sdboot_set_oneshot(const Host &host, const std::string &id);

}  // namespace ht
