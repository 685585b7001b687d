# Sourced by scripts/test: what the browser tests (ctest -L browser) need. Debian's chromium
# (never a downloaded browser), faketime for the simulator's fast clock, and playwright-core
# from tests/browser/package-lock.json.
BROWSER_PACKAGES=(chromium faketime)

browser_setup() {
  ensure_packages "${BROWSER_PACKAGES[@]}"
  npm_ci "$REPO_ROOT/tests/browser" "the browser tests' npm packages"
}
