# Project code builds warning-free: -Wall -Wextra -Werror on every target we own.
set(PLEIADES_WARNINGS -Wall -Wextra -Werror)

function(pleiades_warnings target)
  target_compile_options(${target} PRIVATE ${PLEIADES_WARNINGS})
endfunction()
