#!/bin/bash
# The journal catalog (catalog/hibernate-tool.catalog) is valid for journalctl, and it
# explains exactly the MESSAGE_IDs the programs send (hibernate-tool/lib/systemd.hh).
source "$(dirname "$0")/fixture.sh"
: "${SRCDIR:?set SRCDIR to the source tree}"
command -v journalctl >/dev/null || skip_or_fail "journalctl missing (systemd)"
CASE=catalog
T=$(new_root)
mkdir -p "$T/usr/lib/systemd/catalog"
cp "$SRCDIR/catalog/hibernate-tool.catalog" "$T/usr/lib/systemd/catalog/"
if journalctl --root="$T" --update-catalog 2>"$T/err"; then ok; else fail "[$CASE] update-catalog: $(cat "$T/err")"; fi
LISTED=$(journalctl --root="$T" --list-catalog 2>/dev/null | awk '{print $1}' | sort)
SENT=$(grep -o 'MSG_[A-Z_]* = "[0-9a-f]\{32\}"' "$SRCDIR/hibernate-tool/lib/systemd.hh" | grep -o '[0-9a-f]\{32\}' | sort)
[ -n "$SENT" ] && ok || fail "[$CASE] no MESSAGE_IDs found in systemd.hh"
[ "$LISTED" = "$SENT" ] && ok || fail "[$CASE] catalog IDs ($LISTED) differ from the IDs sent ($SENT)"
for id in $SENT; do
        if journalctl --root="$T" --list-catalog "$id" 2>/dev/null | grep -q "^$id hibernate-tool: ."; then ok
        else fail "[$CASE] $id has no entry with a subject"; fi
done
finish
