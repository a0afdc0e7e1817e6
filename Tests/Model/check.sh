#!/usr/bin/env bash
# Exhaustive spin check of the claim / lease / fencing protocol (Tests/Model/README.md).
#
#   1. the protocol as designed: no reachable state has two sends landed at the provider
#      (errors: 0, full search), and the paths that make it interesting are reachable;
#   2. without fencing (two deliveries in one process share the owner string): spin must find
#      a double send;
#   3. with lease expiry judged by the workers' skewed clocks: spin must find a double send.
#
# A broken variant's counterexample is printed (shortest, by a breadth-first search).
# Exits non-zero unless all three hold. Needs spin and gcc; works in a temporary directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
model="claim_protocol.pml"
for tool in spin gcc; do
    command -v "$tool" >/dev/null || { echo "check.sh: $tool is not installed (apt-get install -y spin gcc)" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/$model" "$work/"
cd "$work"

passed=0
failed=0
DEPTH=200000   # the correct model's search reaches about 26,000; deeper than that is an error

# verify <label> <gcc flags> -- <spin -D flags...>: builds and runs pan; leaves its output in
# pan.out and prints the figures that matter.
verify() {
    local label="$1" cflags="$2"; shift 3
    rm -f pan pan.* "$model.trail"
    spin -a "$@" "$model" >spin.out 2>&1 || { cat spin.out; return 1; }
    # -w: pan.c trips gcc's -Wstringop-overflow on array indexing it guards itself.
    gcc -w -O2 -DSAFETY $cflags -o pan pan.c
    local start end
    start=$(date +%s.%N)
    ./pan -m"$DEPTH" >pan.out 2>&1 || true
    end=$(date +%s.%N)
    printf '  %-46s %s; %s states stored; depth %s; %s; %.2fs\n' "$label" \
        "$(grep -o 'errors: [0-9]*' pan.out)" \
        "$(awk '/states, stored/ {print $1; exit}' pan.out)" \
        "$(grep -o 'depth reached [0-9]*' pan.out | awk '{print $3}')" \
        "$(grep -o 'State-vector [0-9]* byte' pan.out)" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
    # No error found must mean none exists: the search has to have covered every state.
    if [ "$(errors)" = 0 ] && grep -qE 'depth too small|Search not completed|out of memory' pan.out; then
        echo "  !! the search was not exhaustive:"; grep -E 'depth too small|Search not completed|out of memory' pan.out
        return 1
    fi
}

errors() { grep -o 'errors: [0-9]*' pan.out | awk '{print $2}'; }

# The counterexample, one line per event, with the store's clock as t=.
trail() {
    spin -t "$@" "$model" | awk '
        /^ *TICK$/        { t++; next }
        /^#processes/     { exit }
        /^spin: trail/    { next }
        /^spin: /         { sub(/^spin: /, ""); print "      " $0; next }
        NF                { sub(/^ +/, ""); printf "      t=%d  %s\n", t, $0 }'
}

echo "==> correct model: fencing token on every write, lease judged by the store's clock"
ok=1
verify "safety (full search)" "" -- || ok=0
if [ "$ok" = 1 ] && [ "$(errors)" != 0 ]; then
    ok=0; echo "  !! double send in the correct model:"; trail
fi
# Non-vacuity: each of these paths must be reachable (its assert must fail).
for w in 1:"takeover reconciles, finds the send" 2:"re-send after a settled not-found" 3:"stale holder refused by the fence"; do
    n="${w%%:*}"
    verify "reachable: ${w#*:}" "" -- -DWITNESS="$n" || ok=0
    if [ "$(errors)" = 0 ]; then ok=0; echo "  !! path $n is unreachable: the model is vacuous there"; fi
done
if [ "$ok" = 1 ]; then passed=$((passed + 1)); echo "  PASS"; else failed=$((failed + 1)); echo "  FAIL"; fi

broken() {
    local title="$1"; shift
    echo "==> broken variant: $title (must double-send)"
    if verify "search (breadth-first)" "-DBFS" -- "$@" && [ "$(errors)" -ge 1 ]; then
        echo "    counterexample:"
        trail "$@"
        passed=$((passed + 1)); echo "  PASS (violation found)"
    else
        failed=$((failed + 1)); echo "  FAIL: no double send found, the model no longer shows why this is needed"
    fi
}
broken "no fencing, one owner string per process (-DFENCING=0)" -DFENCING=0
broken "lease judged by the workers' own skewed clocks (-DSTORE_CLOCK=0)" -DSTORE_CLOCK=0

echo "model: $passed passed, $failed failed"
[ "$failed" = 0 ]
