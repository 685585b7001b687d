# CMake toolchain file: builds for Debian 12 arm64 (AWS Graviton) on an amd64 Debian 12 host with
# Debian's cross compiler (g++-aarch64-linux-gnu) against the sysroot in COINLAKE_SYSROOT, which
# holds the arm64 builds of the libraries' -dev packages (scripts/package-arm64 makes both).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
if(NOT DEFINED ENV{COINLAKE_SYSROOT})
  message(FATAL_ERROR "set COINLAKE_SYSROOT to the arm64 sysroot (scripts/package-arm64 does)")
endif()
set(CMAKE_SYSROOT $ENV{COINLAKE_SYSROOT})
# Programs (pkg-config, the compilers) are the host's; libraries, headers and CMake package
# files come from the sysroot only, never from the host's amd64 ones.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${CMAKE_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR}
    ${CMAKE_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig)
