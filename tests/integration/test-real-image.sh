#!/bin/bash
# The image check on REAL hibernation images written by Debian's kernel in QEMU
# (tests/e2e/make-hibernation-image.sh, cached under /var/cache/hibernate-tool-tests).
# The description must match what the kernel itself printed while writing the image.
source "$(dirname "$0")/fixture.sh"
E2E="$SRCDIR/tests/e2e"
CACHE=${HT_CACHE:-/var/cache/hibernate-tool-tests}

command -v qemu-system-x86_64 >/dev/null || skip_or_fail "qemu-system-x86_64 is not installed"
[ -w "$(dirname "$CACHE")" ] || [ -w "$CACHE" ] || skip_or_fail "cannot write the cache $CACHE (run as root)"
# --verify-resume boots a copy of each image and proves the marker survives: the images are real.
bash "$E2E/make-hibernation-image.sh" --verify-resume

for name in lzo nocompress; do
        CASE="real-$name"
        # shellcheck disable=SC1090
        ( set -a; . "$CACHE/images/$name.env"; set +a
          echo "$name: kernel $KERNEL_RELEASE wrote $SAVED_DATA_PAGES pages after copying $IMAGE_PAGES_COPIED (flags $HEADER_FLAGS)" )
        # shellcheck disable=SC1090
        . "$CACHE/images/$name.env"
        R=$(new_root)
        cp --sparse=always "$CACHE/images/$name.img" "$R/dev/vdb"
        rm -f "$R/dev/disk/by-uuid/$UUID_VDB" "$R/dev/disk/by-label/hibswap"
        ln -s ../../vdb "$R/dev/disk/by-uuid/$SWAP_UUID"
        echo "root=/dev/vdc resume=UUID=$SWAP_UUID" > "$R/proc/cmdline"
        printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"   # an image is waiting: swap is not active
        BEFORE=$(sha256sum < "$R/dev/vdb")
        run_check "$R"
        expect_rc 1
        expect resume-device fail 'holds a hibernation image waiting'
        expect image warn "A hibernation image is waiting on /dev/vdb: $((SAVED_DATA_PAGES + 1)) pages"
        # swsusp_info: pages = data + metadata + header page; the kernel printed pages - 1.
        expect_json ".image.pages == $((SAVED_DATA_PAGES + 1))" '.image'
        expect_json ".image.data_pages == $IMAGE_PAGES_COPIED" '.image'
        expect_json ".image.size_bytes == $(( (SAVED_DATA_PAGES + 1) * 4096 ))" '.image'
        expect_json ".image.flags == $HEADER_FLAGS and .image.map_page == $HEADER_IMAGE_SECTOR" '.image'
        expect_json '.image.signature == "S1SUSPEND" and .image.original_signature == "SWAPSPACE2"' '.image'
        expect_json '.image.arch_record == "x86_64" and .image.release == null and .image.problem == null' '.image'
        expect_json ".image.num_physpages > 100000 and .image.num_physpages < 140000" '.image'   # 512 MiB VM
        if [ "$COMPRESSED" = 1 ]; then
                expect_json '.image.flag_names == ["lzo","crc32"]' '.image'
        else
                expect_json '.image.flag_names == ["nocompress"]' '.image'
        fi
        expect image warn 'x86_64 kernel'
        [ "$BEFORE" = "$(sha256sum < "$R/dev/vdb")" ] && ok || fail "[$CASE] hibernate-check changed the image"

        # The same image as a newer kernel's LZ4 image would look: flag 16 set.
        CASE="real-$name-lz4-flag"
        printf '\x10' | dd of="$R/dev/vdb" bs=1 seek=4072 conv=notrunc status=none
        run_check "$R"
        expect image warn 'unknown to Linux 6.1'
done

finish
