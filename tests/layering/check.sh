#!/usr/bin/env bash
# Builds each layering probe (tests/CMakeLists.txt): a probe named ..._may_include_... must
# compile; one named ..._must_not_include_... must fail, and fail because its header is out of
# the module's reach ("No such file or directory"), not for any other reason.
# Usage: check.sh BUILD_DIR PROBE...
set -uo pipefail
build="$1"
shift
failures=0
for probe in "$@"; do
  output="$(cmake --build "$build" --target "$probe" 2>&1)"
  status=$?
  case "$probe" in
    *_may_include_*)
      if ((status == 0)); then
        echo "ok: $probe compiles"
      else
        echo "FAIL: $probe should compile:"; echo "$output" | tail -20; failures=$((failures + 1))
      fi ;;
    *_must_not_include_*)
      if ((status != 0)) && grep -q "No such file or directory" <<<"$output"; then
        echo "ok: $probe is refused by the build"
      else
        echo "FAIL: $probe should fail for want of its header (exit $status):"
        echo "$output" | tail -20; failures=$((failures + 1))
      fi ;;
    *) echo "FAIL: $probe is neither a may nor a must_not probe"; failures=$((failures + 1)) ;;
  esac
done
echo "$(($# - failures)) passed, $failures failed"
((failures == 0))
