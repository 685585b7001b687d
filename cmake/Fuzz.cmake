# COINLAKE_FUZZ=ON builds the libFuzzer targets in fuzz/ (scripts/fuzz configures it). It needs
# clang: all code is then compiled with libFuzzer's coverage instrumentation and ASan + UBSan
# (-fno-sanitize-recover, so any report stops the run), and each fuzzer links -fsanitize=fuzzer.
# Without it, fuzz/ still builds one replay binary per target with the normal compiler, which
# ctest runs over the committed corpus and regressions (docs/reliability.md).
option(COINLAKE_FUZZ "Build the libFuzzer targets under fuzz/ (clang only)" OFF)
if(COINLAKE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "COINLAKE_FUZZ=ON needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
