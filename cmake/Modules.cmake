# coinlake_module(NAME <name> SOURCES <files...> DEPS <modules...> [PUBLIC_LIBS ...] [LIBS ...])
# One static library per folder of src/, `coinlake_<name>`, that may include and call only the
# modules in DEPS (and what they depend on). Each module's headers are reachable only through an
# include root of its own, ${CMAKE_BINARY_DIR}/modules/<name>, that holds a link to src/<name>;
# linking a module adds its root. So `#include "pipeline/fetch.h"` in a module that does not
# depend on pipeline is "No such file": the layering of docs/architecture.md is the build's,
# and tests/layering/check.sh proves it. PUBLIC_LIBS are libraries the module's headers expose,
# LIBS those only its sources use.
function(coinlake_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS;PUBLIC_LIBS;LIBS" ${ARGN})
  set(target coinlake_${M_NAME})
  add_library(${target} STATIC ${M_SOURCES})
  set(root ${CMAKE_BINARY_DIR}/modules/${M_NAME})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${M_NAME} ${root}/${M_NAME} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${root})
  list(TRANSFORM M_DEPS PREPEND coinlake_)
  target_link_libraries(${target} PUBLIC ${M_DEPS} ${M_PUBLIC_LIBS} PRIVATE ${M_LIBS})
  set_property(GLOBAL APPEND PROPERTY COINLAKE_MODULES ${target})
endfunction()

# coinlake_layering_probe(NAME <target> MODULE <module> INCLUDE <header>)
# A one-line source that includes <header>, compiled as code of <module> would be; built only by
# tests/layering/check.sh (EXCLUDE_FROM_ALL), which expects an allowed include to compile and a
# forbidden one to fail.
function(coinlake_layering_probe)
  cmake_parse_arguments(P "" "NAME;MODULE;INCLUDE" "" ${ARGN})
  set(source ${CMAKE_BINARY_DIR}/layering/${P_NAME}.cc)
  file(WRITE ${source} "#include \"${P_INCLUDE}\"\n")
  add_library(${P_NAME} OBJECT EXCLUDE_FROM_ALL ${source})
  target_link_libraries(${P_NAME} PRIVATE coinlake_${P_MODULE})
endfunction()
