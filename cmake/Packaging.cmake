# The Debian package: `cpack -G DEB` in a build folder makes coinlake_<version>_<arch>.deb with
# /usr/bin/coinlake, the systemd units, default /etc/coinlake/coinlake.env, serve.env and tls.env
# (conffiles), the Caddyfile of coinlake-tls and maintainer scripts that create the `coinlake`
# system user. Depends comes from dpkg-shlibdeps (from scripts/package-arm64 for the
# cross-built arm64 package).
set(COINLAKE_DEPLOY_DIR ${CMAKE_SOURCE_DIR}/deploy)

install(FILES ${COINLAKE_DEPLOY_DIR}/systemd/coinlake-migrate.service
              ${COINLAKE_DEPLOY_DIR}/systemd/coinlake-run.service
              ${COINLAKE_DEPLOY_DIR}/systemd/coinlake-serve.service
              ${COINLAKE_DEPLOY_DIR}/systemd/coinlake-tls.service
        DESTINATION /lib/systemd/system)
# HTTPS in front of the dashboard (coinlake-tls, with Debian's caddy): the Caddyfile is code,
# upgraded with the package; its settings are the conffile tls.env (no secret: mode 0644).
install(FILES ${COINLAKE_DEPLOY_DIR}/caddy/Caddyfile DESTINATION share/coinlake)
install(FILES ${COINLAKE_DEPLOY_DIR}/tls.env DESTINATION /etc/coinlake)
install(FILES ${COINLAKE_DEPLOY_DIR}/coinlake.env ${COINLAKE_DEPLOY_DIR}/serve.env DESTINATION /etc/coinlake
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/deploy.md
        DESTINATION share/doc/coinlake)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME coinlake)
set(CPACK_PACKAGE_VENDOR coinlake)
set(CPACK_PACKAGE_CONTACT "coinlake maintainers <coinlake@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "replayable crypto market history: CoinMarketCap -> S3 lake -> PostgreSQL -> dashboard")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
if(CMAKE_CROSSCOMPILING)
  if(NOT CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
    message(FATAL_ERROR "packaging knows one cross target, aarch64 (arm64)")
  endif()
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  # dpkg-shlibdeps reads this host's dpkg database, which has no arm64 library: the cross build
  # (scripts/package-arm64) derives Depends from the binary and passes it to cpack with -D.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
# Added to what dpkg-shlibdeps finds: the maintainer scripts call adduser.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "caddy")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${COINLAKE_DEPLOY_DIR}/debian/conffiles ${COINLAKE_DEPLOY_DIR}/debian/postinst
    ${COINLAKE_DEPLOY_DIR}/debian/prerm ${COINLAKE_DEPLOY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
