# shellcheck shell=bash
# shellcheck disable=SC2034  # DVM_PREP_SECONDS, DVM_PREPARED_IMG are for the callers
# The "prepared" Debian VM image shared by the VM tests that boot our initramfs integration
# (test-powercut-vm.sh, test-latefs-vm.sh): the base image (debian-vm.sh) with the Debian
# package of the source tree installed by dpkg -i in a chroot — built with the test hooks
# (build profile pkg.hibernate-tool.test-hooks, tests/package/build-deb.sh
# HT_DEB_PROFILE=test-hooks, cached per source tree): its postinst enables the gate, its
# initramfs-tools trigger regenerates the default kernel's initramfs (our hook checked
# inside it). The base already passes resume=UUID= of p3 (GRUB) and RESUME=
# (initramfs-tools), so no setup run is needed.
#
# Source after lib.sh and debian-vm.sh:
#   dvm_prepared_clone SRC WORK   # prepare once (cached), then clone it to WORK (+ WORK.env)
#
# Cached as $DVM_DIR/prepared/prepared-<key>.img, key = the base, this file and the package
# (a warm run with unchanged sources only clones it). Only the newest two keys are kept (two
# source trees in use at once do not rebuild it in turn).
# $DVM_DIR/prepared/.lock: exclusive while preparing, shared while cloning.
# DVM_PREP_SECONDS: the preparation time of this call (0 when it was cached);
# DVM_PREPARED_IMG: the prepared image cloned.

DVM_PREPARED_SH=${BASH_SOURCE[0]}

dvm_prepared_clone() {
        local src=$1 work=$2 base deb key dir prep mnt list t
        DVM_PREP_SECONDS=0
        base=$(dvm_base) || ht_die "dvm_base failed"
        deb=$(SRCDIR=$src HT_DEB_PROFILE=test-hooks bash "$src/tests/package/build-deb.sh") ||
                ht_die "building the Debian package (test hooks) failed"
        key=$( { basename "$(dirname "$base")"; ht_sha <"$DVM_PREPARED_SH"; ht_sha <"$deb"; } |
                ht_sha | cut -c1-16)
        dir="$DVM_DIR/prepared"
        prep="$dir/prepared-$key.img"
        mkdir -p "$dir"
        (
                exec 9>"$dir/.lock"
                flock -w 3600 9 || ht_die "cannot lock $dir/.lock"
                [[ -f $prep && -f $prep.env ]] && exit 0
                t=$SECONDS
                ht_log "Preparing the Debian VM image with the project installed (key $key)"
                dvm_clone "$base" "$dir/prepare.img"
                dvm_install_deb "$dir/prepare.img" "$deb"
                mnt=$(mktemp -d); dvm_mount "$dir/prepare.img" "$mnt"
                list=$(dvm_in_chroot "$mnt" lsinitramfs "/boot/initrd.img-$DVM_KERNEL_NEW" 2>&1 || true)
                grep -q 'scripts/local-premount/hibernate-tool' <<<"$list" ||
                        { dvm_umount "$mnt"; ht_die "our hook is not in the initramfs of $DVM_KERNEL_NEW"; }
                dvm_umount "$mnt"; rmdir "$mnt"
                mv "$dir/prepare.img.env" "$prep.env"
                mv "$dir/prepare.img" "$prep"
                # Keep this key and the newest other one (by mtime: ls -t; the names are ours).
                # shellcheck disable=SC2010
                ls -t "$dir"/prepared-*.img 2>/dev/null | grep -vxF "$prep" | tail -n +2 |
                        while read -r old; do rm -f "$old" "$old.env"; done
                echo $((SECONDS - t)) >"$dir/.prep-seconds.$$"
                ht_ok "prepared image made in $((SECONDS - t)) s: $prep"
        ) >&2 || exit 1
        if [[ -f $dir/.prep-seconds.$$ ]]; then
                DVM_PREP_SECONDS=$(cat "$dir/.prep-seconds.$$"); rm -f "$dir/.prep-seconds.$$"
        else
                ht_ok "prepared image cached: $prep" >&2
        fi
        (
                exec 9>"$dir/.lock"
                flock -s -w 3600 9 || ht_die "cannot lock $dir/.lock"
                dvm_clone "$prep" "$work"
        ) || exit 1
        DVM_PREPARED_IMG=$prep
}
