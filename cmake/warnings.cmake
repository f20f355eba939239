# Warning and sanitizer flags for the project's own targets.
function(usocket_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
  if(USOCKET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(USOCKET_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
