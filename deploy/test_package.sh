#!/usr/bin/env bash
# Builds the Debian package from a built tree with CPack, checks its metadata and contents,
# checks the packaged units, then installs it into a clean Debian 12 root (mmdebstrap, as root)
# with apt and runs it there (test_package_in_root.sh). Usage: test_package.sh BUILD_DIR VERSION
set -euo pipefail
build_dir="$1" version="$2"
here="$(cd "$(dirname "$0")" && pwd)"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
for tool in cpack dpkg-deb dpkg-shlibdeps mmdebstrap; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install cmake dpkg-dev mmdebstrap)"
done
[ "$(id -u)" = 0 ] || fail "the clean-root install needs root (mmdebstrap --mode=root, chroot)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cpack --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
debs=("$work"/out/coinlake_"$version"_*.deb)
[ -f "${debs[0]}" ] || fail "no coinlake_${version}_*.deb in $(ls "$work/out")"
deb="${debs[0]}"

"$here/check_package.sh" "$deb" "$version"

unpacked="$work/unpacked"
dpkg-deb -x "$deb" "$unpacked"
"$here/systemd/test_units.sh" "$unpacked/lib/systemd/system" "$unpacked/usr/bin/coinlake" >/dev/null

# A clean root: Debian 12's essential packages and apt, from the host's Debian sources (or
# deb.debian.org), nothing of this machine's. apt must find every library the binary needs
# through the package's Depends, as on a new host.
mirror=http://deb.debian.org/debian
[ -f /etc/apt/sources.list.d/debian.sources ] && mirror=/etc/apt/sources.list.d/debian.sources
mmdebstrap --variant=apt --mode=root --quiet \
  --customize-hook="copy-in $deb $here/test_package_in_root.sh /tmp" \
  --customize-hook="chroot \"\$1\" sh /tmp/test_package_in_root.sh /tmp/$(basename "$deb") $version >$work/report 2>&1" \
  bookworm /dev/null "$mirror" </dev/null >"$work/mmdebstrap.log" 2>&1 || {
  cat "$work/report" 2>/dev/null >&2 || true
  tail -30 "$work/mmdebstrap.log" >&2
  fail "installing the package into a clean root failed"
}
cat "$work/report"
echo "package OK: $(basename "$deb") ($(du -h "$deb" | cut -f1)); Depends: $(dpkg-deb --field "$deb" Depends)"
