#!/usr/bin/env bash
# The arm64 package (AWS Graviton, the template's default instances): cross-builds it with
# scripts/package-arm64, checks it as the amd64 one is checked (check_package.sh), then puts it
# into a clean Debian 12 arm64 root where apt resolves its Depends from the Debian mirror
# (mmdebstrap's extract variant: packages unpacked, no maintainer script run, so no whole arm64
# system is emulated) and runs it there under qemu-user: --version, every library found in the
# root, `inspect` of every real CMC fixture printing exactly the amd64 binary's rows (simdjson
# takes its NEON code path on arm64), and the README's smoke run with every coinlake process the
# arm64 one. The maintainer scripts are the amd64 package's, run by test_package_in_root.sh.
# Usage: test_package_arm64.sh VERSION AMD64_COINLAKE FIXTURES_DIR [PACKAGE_DIR]
# With PACKAGE_DIR it checks the package scripts/package-arm64 already wrote there (ctest's
# deploy_debian_package_arm64_build; deploy/CMakeLists.txt says why) instead of building one.
set -euo pipefail
version="$1" amd64_binary="$2" fixtures="$3" package_dir="${4:-}"
here="$(cd "$(dirname "$0")" && pwd)"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
for tool in qemu-aarch64-static mmdebstrap dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install qemu-user-static mmdebstrap)"
done
[ "$(id -u)" = 0 ] || fail "the clean root needs root (mmdebstrap --mode=root)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -z "$package_dir" ]; then
  package_dir="$work/out"
  "$here/../scripts/package-arm64" "$package_dir" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; fail "scripts/package-arm64 failed"; }
fi
deb="$package_dir/coinlake_${version}_arm64.deb"
[ -f "$deb" ] || fail "no $(basename "$deb") in $package_dir: $(ls "$package_dir" 2>&1)"
[ "$(dpkg-deb --field "$deb" Architecture)" = arm64 ] || fail "Architecture is not arm64"
"$here/check_package.sh" "$deb" "$version"

# mmdebstrap resolves a .deb's path on this machine and installs it from the same path in the
# root: the setup hook copies it there.
root="$work/root"
mirror=http://deb.debian.org/debian
[ -f /etc/apt/sources.list.d/debian.sources ] && mirror=/etc/apt/sources.list.d/debian.sources
mmdebstrap --architectures=arm64 --variant=extract --mode=root --quiet \
  --setup-hook="mkdir -p \"\$1$package_dir\" && cp \"$deb\" \"\$1$deb\"" --include="$deb" \
  bookworm "$root" "$mirror" </dev/null >"$work/mmdebstrap.log" 2>&1 ||
  { tail -30 "$work/mmdebstrap.log" >&2; fail "unpacking the package and its Depends failed"; }

# The arm64 coinlake of the root, under qemu, as one command for this script and for the demo.
arm64="$work/coinlake"
printf '#!/bin/sh\nexec qemu-aarch64-static -L "%s" "%s/usr/bin/coinlake" "$@"\n' "$root" "$root" \
  >"$arm64"
chmod +x "$arm64"
got="$("$arm64" --version)" || fail "coinlake --version failed on arm64"
[ "$got" = "coinlake $version" ] || fail "coinlake --version said '$got'"
libraries="$(qemu-aarch64-static -L "$root" "$root/lib/ld-linux-aarch64.so.1" --list "$root/usr/bin/coinlake")"
! grep 'not found' <<<"$libraries" || fail "libraries the Depends do not bring (above)"
compared=0
for fixture in "$fixtures"/*.json; do
  want_status=0 got_status=0
  "$amd64_binary" inspect "$fixture" >"$work/amd64.out" 2>/dev/null || want_status=$?
  "$arm64" inspect "$fixture" >"$work/arm64.out" 2>/dev/null || got_status=$?
  [ "$got_status" = "$want_status" ] ||
    fail "inspect $(basename "$fixture"): exit $got_status on arm64, $want_status on amd64"
  cmp -s "$work/amd64.out" "$work/arm64.out" ||
    fail "inspect $(basename "$fixture"): arm64 rows differ from amd64's"
  compared=$((compared + 1))
done
((compared > 0)) || fail "no fixture in $fixtures"

# The whole pipeline on arm64: the README's smoke run (scripts/demo --smoke: a private
# PostgreSQL, the simulator, the ETL, the dashboard, prices checked through its API), every
# coinlake process of it the arm64 build from the root, under qemu.
COINLAKE_BIN="$arm64" COINLAKE_RUN_DIR="$work/run" COINLAKE_INTERVAL=5 \
  COINLAKE_PG_PORT="$((30000 + $$ % 2700))" "$here/../scripts/demo" --smoke >"$work/smoke.log" 2>&1 ||
  { tail -20 "$work/smoke.log" >&2; fail "scripts/demo --smoke failed with the arm64 build"; }
echo "arm64 package OK: $(basename "$deb") ($(du -h "$deb" | cut -f1)); $got under qemu;" \
  "inspect of $compared fixtures identical to amd64; demo --smoke passed on arm64;" \
  "Depends: $(dpkg-deb --field "$deb" Depends)"
