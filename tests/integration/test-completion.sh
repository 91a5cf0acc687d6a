#!/bin/bash
# The bash completions complete verbs, options per verb and option values.
set -uo pipefail
SRC=${SRCDIR:-$(dirname "$0")/../..}
BC=/usr/share/bash-completion/bash_completion
if [ ! -r "$BC" ]; then
        [ -n "${HT_REQUIRE_ALL:-}" ] && { echo "FATAL: bash-completion missing"; exit 1; }
        echo "SKIP: bash-completion missing"; exit 77
fi
# shellcheck disable=SC1090
source "$BC"
source "$SRC/shell-completion/hibernate-tool"
source "$SRC/shell-completion/hibernate-check"
P=0 F=0
complete_line() {  # function, words…  → COMPREPLY sorted on one line
        local fn=$1; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        "$fn" 2>/dev/null
        printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {  # want, function, words…
        local want=$1; shift
        local got; got=$(complete_line "$@")
        if [ "$got" = "$want" ]; then P=$((P + 1)); else F=$((F + 1)); echo "  FAIL: '$*' completed to '$got', expected '$want'"; fi
}
expect "pre prefetch" _hibernate_tool hibernate-tool pr
expect "prefetch" _hibernate_tool hibernate-tool pref
expect "--record" _hibernate_tool hibernate-tool prefetch --rec
expect "gate" _hibernate_tool hibernate-tool ga
expect "boot-entry" _hibernate_tool hibernate-tool boot
expect "--mode" _hibernate_tool hibernate-tool pre --mo
expect "hybrid-sleep" _hibernate_tool hibernate-tool pre --mode hy
expect "--watch" _hibernate_tool hibernate-tool gate --wa
expect "--boot-entry" _hibernate_tool hibernate-tool record --boot
expect "--boot" _hibernate_tool hibernate-tool post --bo
expect "--swap --swap-file" _hibernate_tool hibernate-tool setup --swap
expect "auto" _hibernate_tool hibernate-tool setup --swap-file /swapfile --size a
expect "--undo" _hibernate_tool hibernate-tool setup --un
expect "" _hibernate_tool hibernate-tool post --wa
expect "--verbose --version" _hibernate_check hibernate-check --ver
expect "--json" _hibernate_check hibernate-check --j
expect "pretty" _hibernate_check hibernate-check --json=pr
expect "short" _hibernate_tool hibernate-tool gate --json=sh
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
