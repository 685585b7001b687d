#!/usr/bin/env bash
# Builds the Debian package from a built tree with CPack, checks its metadata and contents,
# unpacks it into a clean root (dpkg -x) and runs the packaged binary from there with the
# system's libraries, then checks the packaged units. Usage: test_package.sh BUILD_DIR VERSION
set -euo pipefail
build_dir="$1" version="$2"
here="$(cd "$(dirname "$0")" && pwd)"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install cmake dpkg-dev)"
done

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
sh -n "$work/control/postinst" && sh -n "$work/control/prerm" && sh -n "$work/control/postrm"

contents="$(dpkg-deb --contents "$deb")"
for path in ./usr/bin/coinlake ./lib/systemd/system/coinlake-run.service \
  ./lib/systemd/system/coinlake-serve.service ./lib/systemd/system/coinlake-migrate.service \
  ./etc/coinlake/coinlake.env ./usr/share/doc/coinlake/deploy.md; do
  grep -q " $path\$" <<<"$contents" || fail "package lacks $path"
done
grep -q '^-rw-r----- .* ./etc/coinlake/coinlake.env$' <<<"$contents" ||
  fail "coinlake.env must be mode 0640"

root="$work/root"
dpkg-deb -x "$deb" "$root"
got="$("$root/usr/bin/coinlake" --version)"
[ "$got" = "coinlake $version" ] || fail "coinlake --version said '$got'"
"$here/systemd/test_units.sh" "$root/lib/systemd/system" "$root/usr/bin/coinlake" >/dev/null
echo "package OK: $(basename "$deb") ($(du -h "$deb" | cut -f1)); Depends: $depends"
