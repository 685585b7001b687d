# Sourced by scripts/test: what the deployment checks under deploy/ need (systemd-analyze,
# dpkg-shlibdeps, the arm64 cross build and qemu, the CDK app's node modules). Needs lib.sh
# sourced first.

DEPLOY_PACKAGES=(systemd dpkg-dev mmdebstrap g++-aarch64-linux-gnu qemu-user-static)

# Installs deploy/aws's pinned node modules with `npm ci` when the lock file changed.
deploy_prepare() {
  ensure_packages "${DEPLOY_PACKAGES[@]}"
  local dir="$REPO_ROOT/deploy/aws"
  command -v node >/dev/null || die "node (>= 20) is needed for deploy/aws"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "deploy/aws needs node >= 20 (aws-cdk-lib); found $(node --version)"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing deploy/aws node modules (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
