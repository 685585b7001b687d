# CMC clients from npm for the peer client test (tests/peer_clients): installed with `npm ci`.
# Sourced after lib.sh.

peer_clients_prepare() {
  local dir="$REPO_ROOT/tests/peer_clients"
  if [ ! -d "$dir/node_modules/coinmarketcap-api" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "installing the npm CMC clients for the peer client test (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --silent) || die "npm ci in tests/peer_clients failed"
    touch "$dir/node_modules"
  fi
}
