#!/bin/bash
# The fixture helpers remove every root they made when the test script exits: roots are
# made in command substitutions (R=$(new_root)), and the integration suites make hundreds
# per run — left behind, they filled /tmp by ~0.4 GiB per CI run.
source "$(dirname "$0")/fixture.sh"
CASE=fixture-cleanup
T=$(mktemp -d /tmp/ht-cleanup-check-XXXXXX); TMPROOTS+=("$T")
OUT=$(HIBERNATE_CHECK=$HIBERNATE_CHECK TMPDIR=$T bash -c '
        source "$1/fixture.sh"
        R=$(new_root); S=$(new_root)
        test -d "$R" && test -e "$S/proc/swaps" && printf "%s\n%s\n" "$R" "$S"' _ "$(dirname "$0")")
R=$(sed -n 1p <<<"$OUT"); S=$(sed -n 2p <<<"$OUT")
[ -n "$R" ] && [ -n "$S" ] && ok || fail "[$CASE] the child made no roots ($OUT)"
[ ! -e "$R" ] && ok || fail "[$CASE] root $R is still there after the script exited"
[ ! -e "$S" ] && ok || fail "[$CASE] root $S is still there after the script exited"
[ -z "$(ls -A "$T")" ] && ok || fail "[$CASE] left in TMPDIR: $(ls -A "$T")"
finish
