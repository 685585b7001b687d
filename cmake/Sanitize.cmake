# COINLAKE_SANITIZE=ON (the asan preset) builds everything with AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer. -fno-sanitize-recover=all makes every report fatal
# (UBSan would otherwise print and carry on, and the test would pass), so any finding fails its
# test; ASan's own reports always abort. Frame pointers keep the reports' stacks whole at -O1.
option(COINLAKE_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(COINLAKE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
