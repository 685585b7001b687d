#!/usr/bin/env bash
# Checks a built coinlake package's metadata and contents, whatever its architecture (the amd64
# one of test_package.sh, the arm64 one of test_package_arm64.sh): Depends, version, maintainer
# scripts, conffile, files and modes. Usage: check_package.sh DEB VERSION
set -euo pipefail
deb="$1" version="$2"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

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
for f in coinlake.env serve.env tls.env; do
  grep -qxF "/etc/coinlake/$f" "$work/control/conffiles" || fail "$f is no conffile"
done
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst creates no system user"
# An upgrade migrates before the new binary takes over: the migrate restart precedes the others.
migrate_line="$(grep -n 'systemctl restart coinlake-migrate.service' "$work/control/postinst" | cut -d: -f1)"
restart_line="$(grep -n 'systemctl try-restart' "$work/control/postinst" | cut -d: -f1)"
[ -n "$migrate_line" ] && [ -n "$restart_line" ] && [ "$migrate_line" -lt "$restart_line" ] ||
  fail "postinst does not run the migrations before restarting the units"
# ...wherever the migrate unit is enabled: a run skipped outside the AWS migration window leaves
# it inactive, and an upgrade must still try it.
grep -q 'systemctl is-enabled --quiet coinlake-migrate.service' "$work/control/postinst" ||
  fail "postinst must migrate where coinlake-migrate is enabled, not only where it is active"
sh -n "$work/control/postinst" && sh -n "$work/control/prerm" && sh -n "$work/control/postrm"

contents="$(dpkg-deb --contents "$deb")"
for path in ./usr/bin/coinlake ./lib/systemd/system/coinlake-run.service \
  ./lib/systemd/system/coinlake-serve.service ./lib/systemd/system/coinlake-migrate.service \
  ./lib/systemd/system/coinlake-tls.service ./usr/share/coinlake/Caddyfile ./etc/coinlake/tls.env \
  ./etc/coinlake/coinlake.env ./etc/coinlake/serve.env ./usr/share/doc/coinlake/deploy.md; do
  grep -q " $path\$" <<<"$contents" || fail "package lacks $path"
done
for f in coinlake.env serve.env; do
  grep -q "^-rw-r----- .* ./etc/coinlake/$f\$" <<<"$contents" || fail "$f must be mode 0640"
done

# The dashboard's default database login is the read-only one, never the ETL's writer.
dpkg-deb -x "$deb" "$work/root"
url_user() { sed -n 's#^COINLAKE_DATABASE_URL=postgresql://\([^@:/]*\)@.*#\1#p' "$work/root/etc/coinlake/$1"; }
etl_user="$(url_user coinlake.env)" serve_user="$(url_user serve.env)"
[ -n "$etl_user" ] && [ -n "$serve_user" ] || fail "no database user in coinlake.env or serve.env"
[ "$serve_user" != "$etl_user" ] || fail "serve.env signs in as the ETL's writer, $etl_user"
[ "$serve_user" = coinlake_web ] || fail "serve.env's login is $serve_user, not coinlake_web (coinlake_reader)"
