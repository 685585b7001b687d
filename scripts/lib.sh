# Shared by scripts/test and scripts/demo: dependencies, build, a private PostgreSQL.
# Sourced, not run. Everything it starts is recorded and stopped by cleanup_started.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${COINLAKE_RUN_DIR:-$REPO_ROOT/.run}"
PG_BIN="/usr/lib/postgresql/15/bin"
STARTED_PIDS=()
STARTED_PG_DATA=()

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The libraries the program is built against (scripts/package-arm64 fetches their arm64 builds).
LIBRARY_DEV_PACKAGES=(
  libcurl4-openssl-dev libpq-dev libsimdjson-dev libcpp-httplib-dev libcli11-dev libspdlog-dev
  libfmt-dev nlohmann-json3-dev libssl-dev zlib1g-dev libdeflate-dev libexpat1-dev
  libzstd-dev
)
# Debian packages the build, the tests and the demo need.
BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git "${LIBRARY_DEV_PACKAGES[@]}"
  libgtest-dev libgmock-dev libbenchmark-dev postgresql-15 postgresql-client-15 curl
  ca-certificates awscli openssl python3-aiosmtpd
)

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    [ "$(id -u)" = 0 ] || die "run as root to install packages, or install: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# build PRESET [TARGET...]: configure (once) and build with CMake presets.
build() {
  local preset="$1"
  shift
  say "building ($preset)"
  if [ ! -f "$REPO_ROOT/build/$preset/build.ninja" ]; then
    cmake --preset "$preset" -S "$REPO_ROOT" >/dev/null
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$REPO_ROOT/build/$preset" -j"$(nproc)" "${targets[@]}"
}

# For the benchmarks: sets COINLAKE_BIN to the binary the caller named, else builds the release
# preset's and points at it.
bench_binary() {
  if [ -z "${COINLAKE_BIN:-}" ]; then
    build release coinlake
    COINLAKE_BIN="$REPO_ROOT/build/release/src/app/coinlake"
  fi
}

# The CPU's model name, which every benchmark figure is given with.
# The CPU, as precisely as the VM tells: the model name alone ("AMD EPYC") hides which host
# generation a figure came from, and hosts behind the same name differed by 1.5x in the loading
# benchmark's baseline (docs/benchmarks.md, session 21).
cpu_model() {
  local family model stepping avx512=no
  family=$(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1)
  model=$(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1)
  stepping=$(sed -n 's/^stepping[[:space:]]*: //p' /proc/cpuinfo | head -1)
  grep -qw avx512f /proc/cpuinfo && avx512=yes
  printf '%s, family %s model %s stepping %s, AVX-512 %s' \
    "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$family" "$model" "$stepping" "$avx512"
}

# True if something accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port START: the first port from START up that nothing listens on.
free_port() {
  local p="$1"
  while port_busy "$p"; do p=$((p + 1)); done
  echo "$p"
}

# pg_start NAME [fsync] [SERVER_OPTIONS]: starts a private PostgreSQL 15 cluster whose data lives
# in $RUN_DIR/NAME (the system cluster is never touched). Sets PG_PORT and PG_ADMIN_URL.
# SERVER_OPTIONS are more postgres options, e.g. "-c ssl=on -c ssl_cert_file=..." (TLS tests).
# initdb refuses root, so the cluster runs as the 'postgres' user; if that user cannot reach
# the working tree (a private temp folder), the cluster goes under /var/tmp instead.
pg_start() {
  local name="$1" fsync="${2:-on}" extra="${3:-}"
  local dir="$RUN_DIR/$name"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -w "$dir" 2>/dev/null; then
    chown postgres: "$dir" 2>/dev/null || true
    if ! runuser -u postgres -- test -w "$dir" 2>/dev/null; then
      dir="/var/tmp/coinlake-$(echo "$RUN_DIR" | sha256sum | cut -c1-12)/$name"
      say "postgres cannot reach $RUN_DIR; its data goes to $dir"
      mkdir -p "$dir"
    fi
  fi
  local as_pg=()
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; as_pg=(runuser -u postgres --); fi
  local data="$dir/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "creating a PostgreSQL cluster in $data"
    "${as_pg[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >/dev/null
  fi
  if "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    PG_PORT=$(sed -n 4p "$data/postmaster.pid")
    say "PostgreSQL already running on port $PG_PORT (left running)"
  else
    PG_PORT=$(free_port "${COINLAKE_PG_PORT:-55432}")
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$dir/postgresql.log" -w -t 60 \
      -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_connections=200 $extra" \
      start >/dev/null || { tail -20 "$dir/postgresql.log" >&2; die "PostgreSQL did not start"; }
    STARTED_PG_DATA+=("$data")
  fi
  PG_ADMIN_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
}

pg_stop_started() {
  local as_pg=()
  [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
  for data in "${STARTED_PG_DATA[@]}"; do
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  done
  STARTED_PG_DATA=()
}

# one_object_lake LAKE FIXTURES: makes LAKE a file lake holding one raw object, the real top-100
# listings fixture, under its key (time = the payload's status.timestamp), for tests that load
# a single object.
one_object_lake() {
  local lake="$1" body="$2/listings_latest_v1_top100_duedill_2025-02-08.json" ts dir
  ts=$(sed -n 's/.*"timestamp" *: *"\([0-9-]*\)T\([0-9]*\):\([0-9]*\):\([0-9]*\)[^"]*".*/\1T\2-\3-\4Z/p' "$body" | head -1)
  [ -n "$ts" ] || die "no status.timestamp in $body"
  dir="$lake/raw/cmc/listings_latest/dt=${ts%%T*}"
  mkdir -p "$dir"
  gzip -c "$body" >"$dir/listings_latest_$ts.json.gz"
}

# npm_ci DIR WHAT: installs DIR's pinned node modules (its package-lock.json) with `npm ci`,
# unless they are there and newer than the lock file. WHAT names them in the log.
npm_ci() {
  local dir="$1" what="$2"
  command -v npm >/dev/null || die "node and npm are needed for $what (apt-get install npm)"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing $what (npm ci in ${dir#"$REPO_ROOT"/})"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
      die "npm ci in $dir failed"
  fi
}

# Runs a command in the background and remembers it for cleanup.
start_bg() {
  "$@" &
  STARTED_PIDS+=($!)
}

cleanup_started() {
  for pid in "${STARTED_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
  pg_stop_started
}
