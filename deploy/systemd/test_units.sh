#!/usr/bin/env bash
# Checks the systemd units offline: `systemd-analyze verify` must be silent, and
# `systemd-analyze security` must rate every unit at exposure 2.0 or better. Also asserts the
# settings the deployment depends on. coinlake-tls (Caddy) is verified against /usr/bin/caddy,
# which scripts/test installs. Usage: test_units.sh UNIT_DIR COINLAKE_BINARY
set -euo pipefail
unit_dir="$1" binary="$2"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (apt-get install systemd)"
[ -x "$binary" ] || fail "$binary is not an executable coinlake"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# verify checks that ExecStart exists: point the units at the binary under test.
for unit in "$unit_dir"/*.service; do
  sed "s#/usr/bin/coinlake#$binary#" "$unit" >"$work/$(basename "$unit")"
done
units=("$work"/coinlake-migrate.service "$work"/coinlake-run.service "$work"/coinlake-serve.service)
tls="$work/coinlake-tls.service"

out="$(cd "$work" && systemd-analyze verify "${units[@]}" "$tls" 2>&1)" || fail "verify: $out"
[ -z "$out" ] || fail "verify printed warnings: $out"

for unit in "${units[@]}" "$tls"; do
  report="$(cd "$work" && systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1)" ||
    fail "$(basename "$unit"): exposure above 2.0: $(tail -1 <<<"$report")"
  echo "$(tail -1 <<<"$report")"
done
for unit in "${units[@]}"; do
  name="$(basename "$unit")"
  for setting in User=coinlake Restart=on-failure \
    StateDirectory=coinlake NoNewPrivileges=yes ProtectSystem=strict CapabilityBoundingSet= \
    MemoryDenyWriteExecute=yes SystemCallFilter=@system-service 'Environment=PGPASSFILE=%d/pgpass'; do
    grep -qxF "$setting" "$unit" || fail "$name lacks $setting"
  done
done

run="$work/coinlake-run.service"
for setting in 'Environment=CMC_API_KEY_FILE=%d/cmc_api_key' KillSignal=SIGTERM KillMode=mixed \
  'ExecStart='"$binary"' run' 'After=network-online.target coinlake-migrate.service' \
  'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$setting" "$run" || fail "coinlake-run.service lacks $setting"
done
grep -qxF 'Type=oneshot' "$work/coinlake-migrate.service" || fail "migrate must be a oneshot"
for unit in coinlake-migrate coinlake-run; do
  grep -qxF EnvironmentFile=/etc/coinlake/coinlake.env "$work/$unit.service" || fail "$unit lacks coinlake.env"
done
serve="$work/coinlake-serve.service"
grep -qxF 'ExecStart='"$binary"' serve' "$serve" || fail "serve ExecStart"
# The dashboard reads its own settings, with the read-only login, and never coinlake.env, whose
# database URL is the ETL writer's: every environment file it reads is one of these.
envs="$(grep '^EnvironmentFile=' "$serve" | sort)"
[ "$envs" = "$(printf '%s\n' EnvironmentFile=-/etc/coinlake/credentials/dashboard.env \
  EnvironmentFile=/etc/coinlake/serve.env)" ] || fail "serve must read serve.env (and its access secrets) only: $envs"
grep -qxF ConditionPathExists=/etc/coinlake/serve.env "$serve" || fail "serve must wait for serve.env"
# Caddy runs as its own user with one capability (port 80, for ACME), reads its settings and the
# shipped Caddyfile, and none of coinlake's secrets.
for setting in User=caddy EnvironmentFile=/etc/coinlake/tls.env CapabilityBoundingSet=CAP_NET_BIND_SERVICE \
  'ExecStart=/usr/bin/caddy run --config /usr/share/coinlake/Caddyfile --adapter caddyfile' \
  NoNewPrivileges=yes ProtectSystem=strict MemoryDenyWriteExecute=yes SystemCallFilter=@system-service; do
  grep -qxF "$setting" "$tls" || fail "coinlake-tls.service lacks $setting"
done
! grep -Eq 'credentials|LoadCredential|coinlake\.env|serve\.env' "$tls" || fail "coinlake-tls must not read coinlake's settings or secrets"
# The dashboard must never see the API key.
! grep -q cmc_api_key "$work/coinlake-serve.service" || fail "serve must not load the API key"
echo "units OK"
