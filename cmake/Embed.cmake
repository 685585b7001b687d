# coinlake_embed(TARGET <lib> NAME <symbol> FILES <absolute paths...> BASE <dir>)
# Compiles files into the binary as a table of (relative path, bytes), so one executable deploys
# with its migrations and web assets. Regenerated whenever an input changes.
function(coinlake_embed)
  cmake_parse_arguments(E "" "TARGET;NAME;BASE" "FILES" ${ARGN})
  set(out ${CMAKE_BINARY_DIR}/generated/embedded_${E_NAME}.cc)
  # A list file, because a ';'-separated list does not survive the custom command's arguments.
  # It is also a dependency: a file added to or removed from the list (a new migration) changes
  # it, which its own timestamp might not show. configure_file touches it only when it changes.
  string(REPLACE ";" "\n" file_lines "${E_FILES}")
  file(WRITE ${CMAKE_BINARY_DIR}/generated/embedded_${E_NAME}.list.new "${file_lines}")
  configure_file(${CMAKE_BINARY_DIR}/generated/embedded_${E_NAME}.list.new
                 ${CMAKE_BINARY_DIR}/generated/embedded_${E_NAME}.list COPYONLY)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DNAME=${E_NAME} -DBASE=${E_BASE} -DOUT=${out}
            -DLIST=${CMAKE_BINARY_DIR}/generated/embedded_${E_NAME}.list
            -P ${CMAKE_SOURCE_DIR}/cmake/EmbedScript.cmake
    DEPENDS ${E_FILES} ${CMAKE_BINARY_DIR}/generated/embedded_${E_NAME}.list
            ${CMAKE_SOURCE_DIR}/cmake/EmbedScript.cmake
    COMMENT "Embedding ${E_NAME}")
  target_sources(${E_TARGET} PRIVATE ${out})
endfunction()
