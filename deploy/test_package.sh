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

info="$(dpkg-deb --info "$deb")"
depends="$(dpkg-deb --field "$deb" Depends)"
for dep in adduser libc6 libstdc++6 libpq5 libcurl4; do
  [[ ", $depends," == *", $dep "* || ", $depends," == *", $dep,"* ]] || fail "Depends lacks $dep: $depends"
done
[ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || fail "wrong Version"
for script in postinst prerm postrm conffiles; do
  grep -qw "$script" <<<"$info" || fail "control lacks $script"
done
mkdir "$work/control"
dpkg-deb --control "$deb" "$work/control"
grep -qxF /etc/coinlake/coinlake.env "$work/control/conffiles" || fail "coinlake.env is no conffile"
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst creates no system user"
# An upgrade migrates before the new binary takes over: the migrate restart precedes the others.
migrate_line="$(grep -n 'systemctl restart coinlake-migrate.service' "$work/control/postinst" | cut -d: -f1)"
restart_line="$(grep -n 'systemctl try-restart' "$work/control/postinst" | cut -d: -f1)"
[ -n "$migrate_line" ] && [ -n "$restart_line" ] && [ "$migrate_line" -lt "$restart_line" ] ||
  fail "postinst does not run the migrations before restarting the units"
sh -n "$work/control/postinst" && sh -n "$work/control/prerm" && sh -n "$work/control/postrm"

contents="$(dpkg-deb --contents "$deb")"
for path in ./usr/bin/coinlake ./lib/systemd/system/coinlake-run.service \
  ./lib/systemd/system/coinlake-serve.service ./lib/systemd/system/coinlake-migrate.service \
  ./etc/coinlake/coinlake.env ./usr/share/doc/coinlake/deploy.md; do
  grep -q " $path\$" <<<"$contents" || fail "package lacks $path"
done
grep -q '^-rw-r----- .* ./etc/coinlake/coinlake.env$' <<<"$contents" ||
  fail "coinlake.env must be mode 0640"

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
echo "package OK: $(basename "$deb") ($(du -h "$deb" | cut -f1)); Depends: $depends"
