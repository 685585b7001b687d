#!/usr/bin/env bash
# Soak test (ctest soak_short, label integration): `coinlake run --interval 1` on a clock that
# runs SPEED times as fast (libfaketime, preloaded into coinlake and the simulator; the run loop
# sleeps until wall-clock slots, so it keeps pace), for SECONDS real seconds: thousands of
# cycles. Samples VmRSS and open file descriptors of the process from /proc and requires them
# flat: after a warm-up (the first fifth), the last quarter's maximum stays within
# max(RSS_MARGIN_KB, 10%) of the first quarter's, and the fd count between cycles does not grow.
# The count between cycles is each quarter's tenth percentile, not its minimum: a sample inside
# a cycle also sees its sockets and files, and between cycles the simulator's keep-alive
# connection is briefly closed after every 100th call (a minimum caught that in one quarter and
# not the other: a false "13 -> 14"). Then the exactly-once checks of the crash tests.
# Usage: soak.sh COINLAKE_BINARY [SECONDS=45] [SPEED=20] [MIN_CYCLES=150]
# Prints: cycles, samples, RSS and fd figures (first/last quarter), and the verifier's summary.
set -euo pipefail
source "$(dirname "$0")/lib-crash.sh"
crash_setup "$1" soak
SECONDS_WANTED="${2:-45}"
SPEED="${3:-20}"
MIN_CYCLES="${4:-150}"
RSS_MARGIN_KB="${RSS_MARGIN_KB:-2048}"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -f "$FAKETIME_LIB" ] || fail "libfaketime is missing: apt-get install faketime (scripts/test does)"
FAST_CLOCK=(LD_PRELOAD="$FAKETIME_LIB" FAKETIME="+0 x$SPEED" FAKETIME_DONT_FAKE_MONOTONIC=1)

pg_private
SIM_ENV=("${FAST_CLOCK[@]}")
sim_start --coins 300 --seed 9
file_lake
export COINLAKE_LISTINGS_LIMIT=100 COINLAKE_LOG_LEVEL=warn

run_start "${FAST_CLOCK[@]}"
: >"$WORK/samples"
: >"$WORK/fd-targets"
end=$(($(date +%s) + SECONDS_WANTED))
while [ "$(date +%s)" -lt "$end" ]; do
  run_assert_alive "during the soak"
  rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$RUN_PID/status")"
  # What each descriptor is (counted from the same listing), so a failure names the one that
  # stayed open.
  targets="$(find "/proc/$RUN_PID/fd" -mindepth 1 -printf '%f=%l\n' 2>/dev/null || true)"
  fds="$(grep -c . <<<"$targets" || true)"
  echo "$(date +%s.%N) $rss $fds" >>"$WORK/samples"
  tr '\n' ' ' <<<"$targets" >>"$WORK/fd-targets"
  echo >>"$WORK/fd-targets"
  sleep 0.25
done
run_stop
cycles="$(sql "SELECT count(*) FROM runs WHERE command = 'run'")"
# The cycle SIGTERM interrupts while it waits for the credit governor ends as failed: that is
# the shutdown, not the soak.
failed="$(sql "SELECT count(*) FROM runs WHERE command = 'run' AND outcome <> 'ok'
               AND coalesce(error, '') NOT LIKE '%stopped while waiting for the rate limit%'")"

# Flatness: warm-up = first fifth; compare the first and last quarters of the rest.
read -r n rss_first rss_last fd_first fd_last rss_min fd_max fd_first_at fd_last_at < <(awk '
  { t[NR] = $1; r[NR] = $2; f[NR] = $3 }
  # floor(from, to): the fd count that a tenth of the samples from..to are at or below (mawk has
  # no sort: a count per value); floor_at: a sample with that count.
  function floor(from, to,    i, v, lo, hi, need, seen) {
    delete c; lo = 1e9; hi = 0
    for (i = from; i <= to; i++) { c[f[i]]++; if (f[i] < lo) lo = f[i]; if (f[i] > hi) hi = f[i] }
    need = int((to - from + 1) / 10) + 1; seen = 0
    for (v = lo; v <= hi; v++) { seen += c[v]; if (seen >= need) break }
    for (i = from; i <= to; i++) if (f[i] == v) { floor_at = i; break }
    return v
  }
  END {
    w = int(NR / 5); m = NR - w; q = int(m / 4);
    rf = 0; rl = 0; rmin = 1e12; fmax = 0
    for (i = w + 1; i <= w + q; i++) if (r[i] > rf) rf = r[i]
    for (i = NR - q + 1; i <= NR; i++) if (r[i] > rl) rl = r[i]
    for (i = w + 1; i <= NR; i++) { if (r[i] < rmin) rmin = r[i]; if (f[i] > fmax) fmax = f[i] }
    ff = floor(w + 1, w + q); fa = floor_at
    fl = floor(NR - q + 1, NR); la = floor_at
    print NR, rf, rl, ff, fl, rmin, fmax, fa, la
  }' "$WORK/samples")
echo "soak: ${SECONDS_WANTED}s at x$SPEED: cycles=$cycles (not ok: $failed) samples=$n" \
  "rss_kb first_quarter_max=$rss_first last_quarter_max=$rss_last min=$rss_min" \
  "fds between cycles first_quarter=$fd_first last_quarter=$fd_last (max in a cycle $fd_max)"
[ "$n" -ge 20 ] || fail "only $n samples"
[ "$cycles" -ge "$MIN_CYCLES" ] ||
  fail "only $cycles cycles in ${SECONDS_WANTED}s at x$SPEED (want >= $MIN_CYCLES): the run loop did not keep pace with the fast clock"
[ "$failed" = 0 ] || fail "$failed cycles did not end ok during the soak"
margin=$((rss_first / 10 > RSS_MARGIN_KB ? rss_first / 10 : RSS_MARGIN_KB))
if ldd "$BIN" | grep -q libasan; then
  # Under ASan the RSS holds ASan's quarantine of freed memory, which fills up to its cap: not
  # the code's memory. LeakSanitizer checks the exit instead; every other check applies.
  echo "[asan] RSS bound not checked: last quarter max ${rss_last} kB, bound $((rss_first + margin)) kB"
else
  [ "$rss_last" -le $((rss_first + margin)) ] ||
    fail "RSS grew: last quarter max ${rss_last} kB > first quarter max ${rss_first} kB + ${margin} kB"
fi
if [ "$fd_last" -gt "$fd_first" ]; then
  echo "descriptors at the first quarter's floor: $(sed -n "${fd_first_at}p" "$WORK/fd-targets")"
  echo "descriptors at the last quarter's floor:  $(sed -n "${fd_last_at}p" "$WORK/fd-targets")"
  fail "open file descriptors grew: $fd_first -> $fd_last"
fi
crash_verify
