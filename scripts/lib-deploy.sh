# Sourced by scripts/test: what the deployment checks under deploy/ need (systemd-analyze,
# dpkg-shlibdeps, the arm64 cross build and qemu, Caddy for the HTTPS test, jq for the boot
# scripts the CDK tests run, the CDK app's node modules). Needs lib.sh sourced first.

DEPLOY_PACKAGES=(systemd dpkg-dev mmdebstrap g++-aarch64-linux-gnu qemu-user-static caddy openssl jq)

# Installs deploy/aws's pinned node modules with `npm ci` when the lock file changed.
deploy_prepare() {
  local had_caddy=0
  dpkg-query -W -f='${Status}' caddy 2>/dev/null | grep -q "install ok installed" && had_caddy=1
  ensure_packages "${DEPLOY_PACKAGES[@]}"
  # The tests need the caddy binary, not the default site Debian's caddy.service starts on port
  # 80 when systemd runs: a caddy this script installed does not stay running.
  if [ "$had_caddy" = 0 ] && [ -d /run/systemd/system ]; then
    systemctl disable --now caddy.service >/dev/null 2>&1 || true
  fi
  local dir="$REPO_ROOT/deploy/aws"
  command -v node >/dev/null || die "node (>= 20) is needed for deploy/aws"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "deploy/aws needs node >= 20 (aws-cdk-lib); found $(node --version)"
  npm_ci "$dir" "deploy/aws node modules"
}
