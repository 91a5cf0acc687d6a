#!/bin/bash
# hibernate-check on fixture roots: every check id in its pass, warn, fail and skip cases.
source "$(dirname "$0")/fixture.sh"

CASE=healthy
R=$(new_root)
run_check "$R"
expect_rc 0
expect_json '.ready == true'
for id in kernel-support lockdown noresume swap-present resume-device swap-size image initramfs bootloader; do
        expect "$id" pass
done
expect resume-offset skip 'partition'
expect_json ".resume == {\"device\":\"/dev/vdb\",\"uuid\":\"$UUID_VDB\",\"offset\":null,\"source\":\"cmdline\"}"
expect_json '.swap | length == 1 and .[0].type == "partition" and .[0].priority == -2 and .[0].size_bytes == 2147479552'
expect_json ".swap[0].uuid == \"$UUID_VDB\""
expect_json '.kernel == {"release":"6.1.0-56-amd64","hibernation":true,"modes":["platform","shutdown","reboot","suspend","test_resume"]}'
expect_json '.image == null'
expect_json '[.checks[].id] == ["kernel-support","lockdown","noresume","swap-present","resume-device","resume-offset","encrypted-swap","swap-size","two-pageset","image","initramfs","bootloader","logind","prefetch"]'
expect two-pageset skip 'lacks two-pageset hibernation'
expect prefetch pass 'process_madvise is available on Linux 6.1.0-56-amd64'
CASE=prefetch-disabled
printf '[prefetch]\nenabled = false\n' > "$R/prefetch-off.toml"
run_check "$R" --config "$R/prefetch-off.toml"
expect prefetch skip 'disabled'
CASE=healthy
expect_json '.pagesets == {"supported":false,"kernel":null,"config":"auto","mode":"stock","fallback":false,"reason":"the kernel lacks two-pageset hibernation","image_bytes":2068480000,"last_pageset2_pages":null,"error":null}' '.pagesets'

CASE=text-output
set +e; TEXT=$("$HIBERNATE_CHECK" --root "$R"); RC=$?; set -e
expect_rc 0
if grep -q $'\e\[' <<<"$TEXT"; then fail "[$CASE] colour codes with NO_COLOR set"; else ok; fi
if [ "$(grep -c '^PASS ' <<<"$TEXT")" = 11 ] && tail -n1 <<<"$TEXT" | grep -q '^Hibernation should work'; then ok; else fail "[$CASE] text: $TEXT"; fi
if command -v script >/dev/null; then
        TTY_OUT=$(env -u NO_COLOR TERM=xterm script -qec "$HIBERNATE_CHECK --root $R" /dev/null || true)
        if grep -q $'\e\[32mPASS' <<<"$TTY_OUT"; then ok; else fail "[$CASE] no colour on a TTY: $TTY_OUT"; fi
        TTY_OUT=$(NO_COLOR=1 TERM=xterm script -qec "$HIBERNATE_CHECK --root $R" /dev/null || true)
        if grep -q $'\e\[' <<<"$TTY_OUT"; then fail "[$CASE] colour on a TTY with NO_COLOR"; else ok; fi
fi

CASE=swap-too-small
R=$(new_root)
sed -i 's/^MemFree:.*/MemFree:           45436 kB/' "$R/proc/meminfo"
sed -i 's/^Active(file):.*/Active(file):      50000 kB/; s/^Inactive(file):.*/Inactive(file):    50000 kB/; s/^Active(anon):.*/Active(anon):    3500000 kB/' "$R/proc/meminfo"
printf 'Filename Type Size Used Priority\n/dev/vdb partition 2097148 1000000 -2\n' > "$R/proc/swaps"
run_check "$R"
expect_rc 1
expect swap-size fail 'too small'
expect_json '.ready == false'

CASE=swap-tight
R=$(new_root)
# 1.56 GiB needed (see fixture); 1.65 GiB free is within the 10% margin
printf 'Filename Type Size Used Priority\n/dev/vdb partition 2097148 367000 -2\n' > "$R/proc/swaps"
run_check "$R"
expect_rc 0
expect swap-size warn 'tight'
CASE=swap-tight-margin-config
printf '[check]\nswap_margin_percent = 0\n' > "$R/margin.toml"
run_check "$R" --config "$R/margin.toml"
expect swap-size pass
CASE=swap-image-size-config
printf '[check]\nimage_size = "3G"\n' > "$R/size.toml"
run_check "$R" --config "$R/size.toml"
expect swap-size fail 'image_size 3.0 GiB \(\[check\] image_size\)'

# Two-pageset hibernation: a patched kernel's /sys/power/pagesets and pageset2_pages.
# The fixture uses 1.9 GiB of 3.9 GiB: a two-pageset image (all of it, +1%) is within 10%
# of the 2.0 GiB swap, so "auto" falls back to stock; with 500 MiB more free it fits.
pagesets_root() {  # selection line, pageset2_pages
        R=$(new_root)
        echo "$1" > "$R/sys/power/pagesets"
        echo "$2" > "$R/sys/power/pageset2_pages"
}
config() { mkdir -p "$R/etc/hibernate-tool"; printf '[kernel]\npagesets = "%s"\n' "$1" > "$R/etc/hibernate-tool/hibernate.toml"; }
more_free() { sed -i 's/^MemFree:.*/MemFree:         2545436 kB/' "$R/proc/meminfo"; }
less_free() { sed -i 's/^MemFree:.*/MemFree:         1045436 kB/' "$R/proc/meminfo"; }

CASE=two-pageset-auto-fits
pagesets_root "[stock] two" 0; more_free
run_check "$R"
expect_rc 0
expect two-pageset pass 'will be used.*page cache stays warm.*selected in the kernel now: stock.*pre selects two.*last hibernation was stock'
expect swap-size pass 'two-pageset image.*1\.4 GiB needed.*without shrinking'
expect_json '.pagesets.supported and .pagesets.kernel == "stock" and .pagesets.mode == "two" and .pagesets.fallback == false and .pagesets.last_pageset2_pages == 0' '.pagesets'
CASE=two-pageset-auto-falls-back
pagesets_root "stock [two]" 12345
run_check "$R"
expect_rc 0
expect two-pageset warn 'not used: the resume swap cannot hold the two-pageset image.*1\.9 GiB needed, 2\.0 GiB free.*falls back to stock.*selected in the kernel now: two.*12345 pages in pageset 2.*Grow the resume swap to at least 1\.9 GiB'
expect swap-size pass 'about 1\.6 GiB needed'        # the stock estimate: stock is what is used
expect_json '.pagesets.kernel == "two" and .pagesets.mode == "stock" and .pagesets.fallback and .pagesets.last_pageset2_pages == 12345' '.pagesets'
CASE=two-pageset-config-stock
pagesets_root "[stock] two" 0; config stock
run_check "$R"
expect_rc 0
expect two-pageset warn 'available but configured off \(pagesets = "stock"\).*page cache is dropped.*pagesets = "auto"'
expect swap-size pass 'about 1\.6 GiB needed'
expect_json '.pagesets.config == "stock" and .pagesets.mode == "stock" and .pagesets.fallback == false' '.pagesets'
CASE=two-pageset-config-two-fits
pagesets_root "[stock] two" 0; more_free; config two
run_check "$R"
expect two-pageset pass 'will be used'
CASE=two-pageset-config-two-tight
pagesets_root "[stock] two" 0; config two
run_check "$R"
expect_rc 0
expect two-pageset warn 'pagesets = "two", but swap is tight for the two-pageset image.*less than 10% spare'
expect swap-size warn 'tight for the two-pageset image'
CASE=two-pageset-config-two-too-small
pagesets_root "[stock] two" 0; less_free; config two
run_check "$R"
expect_rc 1
expect two-pageset warn 'too small for the two-pageset image: about 2\.9 GiB needed, 2\.0 GiB free; the kernel will refuse to hibernate \(ENOSPC\).*Grow the resume swap to at least 2\.9 GiB free, or set pagesets = "stock"'
expect swap-size fail 'too small for the two-pageset image.*pagesets = "auto" or "stock"'
expect_json '.pagesets.mode == "two"' '.pagesets'
CASE=two-pageset-config-two-unsupported
R=$(new_root); config two
run_check "$R"
expect_rc 0
expect two-pageset skip 'lacks two-pageset hibernation.*pagesets = "two" is configured; hibernation uses the stock mode'
expect_json '.pagesets.mode == "stock" and .pagesets.fallback' '.pagesets'
CASE=two-pageset-unreadable
for bad in "two" "[stock] [two]" "[stock] two three" ""; do
        pagesets_root "$bad" 0
        run_check "$R"
        expect two-pageset skip 'Cannot tell whether the kernel offers two-pageset hibernation.*/sys/power/pagesets reads'
        expect_json '.pagesets.supported == false and .pagesets.mode == "stock" and (.pagesets.error | test("not \"\\[stock\\] two\""))' '.pagesets'
done
CASE=two-pageset-config-error
R=$(new_root)
for v in '"both"' '2' 'true' '"Two"'; do
        mkdir -p "$R/etc/hibernate-tool"; printf '[kernel]\npagesets = %s\n' "$v" > "$R/etc/hibernate-tool/hibernate.toml"
        run_check "$R"
        expect_rc 2
        if grep -q "hibernate.toml:2:12: 'kernel.pagesets' must be \"two\", \"stock\" or \"auto\"" <<<"$ERR" && [ -z "$OUT" ]; then ok; else fail "[$CASE] $v: stderr '$ERR'"; fi
done

CASE=lockdown-secureboot
R=$(new_root)
echo "none [integrity] confidentiality" > "$R/sys/kernel/security/lockdown"
printf '\x06\x00\x00\x00\x01' > "$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
echo "freeze mem" > "$R/sys/power/state"
run_check "$R"
expect_rc 1
expect lockdown fail 'integrity.*Secure Boot is on'
expect kernel-support fail 'does not offer'
CASE=lockdown-no-secureboot
printf '\x06\x00\x00\x00\x00' > "$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
echo "none integrity [confidentiality]" > "$R/sys/kernel/security/lockdown"
run_check "$R"
expect lockdown fail 'confidentiality.*Secure Boot is off'
CASE=lockdown-unreadable
rm -rf "$R/sys/kernel/security"
run_check "$R"
expect lockdown skip 'securityfs'

CASE=noresume
for word in noresume nohibernate hibernate=no hibernate=noresume; do
        R=$(new_root)
        echo "root=/dev/vdc ro $word resume=UUID=$UUID_VDB" > "$R/proc/cmdline"
        run_check "$R"
        expect_rc 1
        expect noresume fail "$word"
done
CASE=hibernate-nocompress-is-fine
R=$(new_root)
echo "root=/dev/vdc hibernate=nocompress resume=UUID=$UUID_VDB" > "$R/proc/cmdline"
run_check "$R"
expect noresume pass

CASE=zram-only
R=$(new_root)
printf 'Filename Type Size Used Priority\n/dev/zram0 partition 4045432 0 100\n' > "$R/proc/swaps"
mkdir -p "$R/sys/module/zswap/parameters"; echo Y > "$R/sys/module/zswap/parameters/enabled"
run_check "$R"
expect_rc 1
expect swap-present fail 'zram.*zswap'
expect resume-device fail 'not an active swap'

CASE=deleted-swap-file
R=$(new_root)
printf 'Filename Type Size Used Priority\n/swapfile\\040(deleted) file 1048572 0 -2\n' > "$R/proc/swaps"
run_check "$R"
expect swap-present fail 'deleted'
expect_json '.swap[0].deleted == true and .swap[0].path == "/swapfile" and .swap[0].type == "file"' '.swap'

CASE=no-swap
R=$(new_root)
printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"
run_check "$R"
expect swap-present fail 'No swap is active'

CASE=uuid-matches-nothing
R=$(new_root)
sed -i "s/resume=UUID=$UUID_VDB/resume=UUID=00000000-0000-4000-8000-000000000000/" "$R/proc/cmdline"
run_check "$R"
expect_rc 1
expect resume-device fail 'does not resolve'
expect_json '.resume.source == "cmdline" and .resume.device == null'

CASE=label-without-links
R=$(new_root)
rm -rf "$R/dev/disk"
sed -i "s/resume=UUID=$UUID_VDB/resume=LABEL=hibswap/" "$R/proc/cmdline"
run_check "$R"
expect resume-device pass '/dev/vdb'

CASE=devnum-and-hex
R=$(new_root)
sed -i "s/resume=UUID=$UUID_VDB/resume=254:16/" "$R/proc/cmdline"
run_check "$R"
expect resume-device pass '/dev/vdb'
sed -i "s/resume=254:16/resume=fe10/" "$R/proc/cmdline"
run_check "$R"
expect resume-device pass '/dev/vdb'

CASE=sysfs-source
R=$(new_root)
sed -i "s/ resume=UUID=$UUID_VDB//" "$R/proc/cmdline"
echo "254:16" > "$R/sys/power/resume"
run_check "$R"
expect resume-device pass '/sys/power/resume'
expect_json '.resume.source == "sysfs" and .resume.device == "/dev/vdb"'

# systemd >= 255's HibernateLocation EFI variable (UTF-16LE JSON after 4 attribute bytes),
# with no resume= anywhere: a resume source of its own, ahead of sysfs and the configuration.
efivar_hl() {  # root, json: writes the variable as efivarfs shows it
        mkdir -p "$1/sys/firmware/efi/efivars"
        { printf '\x07\x00\x00\x00'; printf '%s' "$2" | iconv -f UTF-8 -t UTF-16LE; printf '\x00\x00'; } \
                > "$1/sys/firmware/efi/efivars/HibernateLocation-8cf2644b-4b0b-428f-9387-6d876050dc67"
}
CASE=efi-source
R=$(new_root)
sed -i "s/ resume=UUID=$UUID_VDB//" "$R/proc/cmdline"
echo 'ID=debian' > "$R/etc/os-release"
echo "254:99" > "$R/sys/power/resume"  # lower priority: ignored
efivar_hl "$R" "{\"uuid\":\"$UUID_VDB\",\"offset\":0,\"kernelVersion\":\"6.12.9-amd64\",\"osReleaseId\":\"debian\"}"
run_check "$R"
expect resume-device pass 'HibernateLocation'
expect_json '.resume.source == "efi" and .resume.device == "/dev/vdb"'
CASE=efi-other-os
echo 'ID=fedora' > "$R/etc/os-release"
run_check "$R"
expect_json '.resume.source == "sysfs"'
expect_json '.notes | any(test("HibernateLocation EFI variable ignored, as systemd ignores it: it was written by debian"))'
CASE=efi-garbage
printf 'junk' > "$R/sys/firmware/efi/efivars/HibernateLocation-8cf2644b-4b0b-428f-9387-6d876050dc67"
run_check "$R"
expect_json '.resume.source == "sysfs"'
expect_json '.notes | any(test("HibernateLocation EFI variable ignored: "))'
CASE=efi-cmdline-wins
R=$(new_root)
echo 'ID=debian' > "$R/etc/os-release"
efivar_hl "$R" "{\"uuid\":\"00000000-0000-4000-8000-000000000000\",\"offset\":0,\"osReleaseId\":\"debian\"}"
run_check "$R"
expect_json '.resume.source == "cmdline" and .resume.device == "/dev/vdb"'

CASE=config-source
R=$(new_root)
sed -i "s/ resume=UUID=$UUID_VDB//" "$R/proc/cmdline"
mkdir -p "$R/etc/hibernate-tool/hibernate.toml.d"
printf '[resume]\ndevice = "LABEL=wrong"\n' > "$R/etc/hibernate-tool/hibernate.toml"
printf '[resume]\ndevice = "LABEL=hibswap"\n' > "$R/etc/hibernate-tool/hibernate.toml.d/50-local.toml"
run_check "$R"
expect resume-device pass 'configuration'
expect_json '.resume.source == "config"'

CASE=auto-source
R=$(new_root)
sed -i "s/ resume=UUID=$UUID_VDB//" "$R/proc/cmdline"
rm "$R/etc/initramfs-tools/conf.d/resume"
run_check "$R"
expect_rc 0
expect resume-device warn 'automatic choice: /dev/vdb'
expect_json '.resume.source == "auto" and .resume.device == "/dev/vdb"'
expect initramfs warn 'automatically'

CASE=resume-not-active
R=$(new_root)
add_swap_disk "$R" vdd 254 48 64M "$UUID_VDC" other
sed -i "s/resume=UUID=$UUID_VDB/resume=LABEL=other/" "$R/proc/cmdline"
run_check "$R"
expect resume-device fail 'not an active swap.*not active'
CASE=resume-is-filesystem
R=$(new_root)
sed -i "s/resume=UUID=$UUID_VDB/resume=\/dev\/vdc/" "$R/proc/cmdline"
mkfs.ext4 -q -F "$R/dev/vdc" >/dev/null 2>&1 || truncate -s 8M "$R/dev/vdc"
run_check "$R"
expect resume-device fail 'not an active swap'

CASE=kernel-without-hibernation
R=$(new_root)
echo "freeze mem" > "$R/sys/power/state"
run_check "$R"
expect kernel-support fail
expect_json '.kernel.hibernation == false'
CASE=kernel-unknown
rm "$R/sys/power/state"
run_check "$R"
expect kernel-support skip

CASE=partition-with-offset
R=$(new_root)
echo "root=/dev/vdc resume=UUID=$UUID_VDB resume_offset=1234" > "$R/proc/cmdline"
run_check "$R"
expect resume-offset fail 'partition'

CASE=grub-regeneration-pending
R=$(new_root)
write_grub_cfg "$R" ""
run_check "$R"
expect bootloader warn 'regeneration pending'
CASE=grub-dropin-elsewhere
R=$(new_root)
printf 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX resume=/dev/nonexistent"\n' > "$R/etc/default/grub.d/90-resume.cfg"
write_grub_cfg "$R" "resume=UUID=$UUID_VDB resume=/dev/nonexistent"
run_check "$R"
expect bootloader fail 'does not resolve'
CASE=grub-without-resume-but-initramfs
R=$(new_root)
sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=""/' "$R/etc/default/grub"
write_grub_cfg "$R" ""
run_check "$R"
expect bootloader pass 'initramfs'
CASE=grub-absent
rm -rf "$R/etc/default/grub" "$R/boot/grub"
run_check "$R"
expect bootloader skip

CASE=initramfs-resume-none
R=$(new_root)
echo "RESUME=none" > "$R/etc/initramfs-tools/conf.d/resume"
sed -i "s/ resume=UUID=$UUID_VDB//" "$R/proc/cmdline"
echo "254:16" > "$R/sys/power/resume"
run_check "$R"
expect initramfs fail 'RESUME=none'
CASE=initramfs-other-device
echo "RESUME=/dev/vdc" > "$R/etc/initramfs-tools/conf.d/resume"
run_check "$R"
expect initramfs fail 'not the resume target'
CASE=dracut-omitted
R=$(new_root)
rm -rf "$R/etc/initramfs-tools" "$R/usr/sbin/update-initramfs"
mkdir -p "$R/etc/dracut.conf.d"; touch "$R/etc/dracut.conf"
echo 'omit_dracutmodules+=" resume "' > "$R/etc/dracut.conf.d/10-x.conf"
run_check "$R"
expect initramfs fail 'omitted'
rm "$R/etc/dracut.conf.d/10-x.conf"
run_check "$R"
expect initramfs pass 'dracut'
CASE=initramfs-none
rm -rf "$R/etc/dracut.conf" "$R/etc/dracut.conf.d"
run_check "$R"
expect initramfs skip

CASE=meminfo-missing
R=$(new_root)
rm "$R/proc/meminfo"
run_check "$R"
expect swap-size skip 'meminfo'

CASE=config-error
R=$(new_root)
mkdir -p "$R/etc/hibernate-tool"
printf '[check]\nswap_margin_percent = "lots"\n' > "$R/etc/hibernate-tool/hibernate.toml"
run_check "$R"
expect_rc 2
if grep -q "hibernate.toml:2:" <<<"$ERR" && [ -z "$OUT" ]; then ok; else fail "[$CASE] stderr '$ERR' stdout '$OUT'"; fi
printf '[check\n' > "$R/etc/hibernate-tool/hibernate.toml"
run_check "$R"
expect_rc 2
if grep -q "hibernate.toml:1:" <<<"$ERR"; then ok; else fail "[$CASE] $ERR"; fi
CASE=config-unknown-key
printf '[check]\nfrobnicate = 1\n' > "$R/etc/hibernate-tool/hibernate.toml"
run_check "$R"
expect_rc 0
expect_json '.notes | length == 1 and (.[0] | test("unknown key .check.frobnicate"))'
CASE=config-missing-file
run_check "$R" --config "$R/does-not-exist.toml"
expect_rc 2

CASE=usage
for args in "--bogus" "--root" "extra" "--json=1"; do
        set +e; "$HIBERNATE_CHECK" $args >/dev/null 2>&1; RC=$?; set -e
        expect_rc 2
done
set +e; "$HIBERNATE_CHECK" --root /nonexistent-dir >/dev/null 2>&1; RC=$?; set -e
expect_rc 2
set +e; "$HIBERNATE_CHECK" --help | grep -q -- '--root DIR'; RC=$?; set -e
expect_rc 0

finish
