# CMC clients from npm for the peer client test (tests/peer_clients): installed with `npm ci`.
# Sourced after lib.sh.

peer_clients_prepare() {
  npm_ci "$REPO_ROOT/tests/peer_clients" "the npm CMC clients for the peer client test"
}
