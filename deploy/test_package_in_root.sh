#!/bin/sh
# Runs inside the clean Debian 12 root that test_package.sh builds: installs the package as a new
# host would (apt resolves its Depends from the Debian mirror and runs postinst), checks what
# postinst set up and that the binary runs on the root's own libraries, then purges it.
# Usage (in the root): test_package_in_root.sh DEB VERSION
set -eu
deb="$1" version="$2"
fail() { echo "FAIL (clean root): $*" >&2; exit 1; }

DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" >/tmp/apt.log 2>&1 ||
  { tail -20 /tmp/apt.log >&2; fail "apt-get install $deb failed"; }
got="$(coinlake --version)" || fail "coinlake --version failed"
[ "$got" = "coinlake $version" ] || fail "coinlake --version said '$got'"
id -u coinlake >/dev/null 2>&1 || fail "postinst created no coinlake user"
for f in /etc/coinlake/coinlake.env /etc/coinlake/serve.env; do
  [ "$(stat -c '%a %U %G' "$f")" = "640 root coinlake" ] ||
    fail "$f is $(stat -c '%a %U %G' "$f"), not 640 root coinlake"
done
[ "$(stat -c '%a %U' /etc/coinlake/credentials)" = "700 root" ] ||
  fail "the credentials folder is not 0700 root"
missing="$(ldd /usr/bin/coinlake | grep 'not found' || true)"
[ -z "$missing" ] || fail "libraries the Depends do not bring: $missing"

DEBIAN_FRONTEND=noninteractive apt-get purge -y -q coinlake >/tmp/apt.log 2>&1 ||
  { tail -20 /tmp/apt.log >&2; fail "apt-get purge coinlake failed"; }
[ ! -e /usr/bin/coinlake ] || fail "purge left /usr/bin/coinlake"
[ ! -e /etc/coinlake/credentials ] || fail "purge left /etc/coinlake/credentials"
echo "clean root OK: installed with its Depends, $got, user and modes set, purged"
