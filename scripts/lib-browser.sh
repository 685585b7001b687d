# Sourced by scripts/test: what the browser tests (ctest -L browser) need. Debian's chromium
# (never a downloaded browser), faketime for the simulator's fast clock, and playwright-core
# from tests/browser/package-lock.json.
BROWSER_PACKAGES=(chromium faketime)

browser_setup() {
  ensure_packages "${BROWSER_PACKAGES[@]}"
  command -v npm >/dev/null || die "node and npm are needed for the browser tests"
  say "installing the browser tests' npm packages"
  (cd "$REPO_ROOT/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
}
