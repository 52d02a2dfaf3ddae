# pleiades_dual_library(NAME SOURCES ... [KERNEL_SOURCES ...] [HOST_SOURCES ...] [DEPENDS lib ...]
#                       [EXPLORE])
#
# Builds the same sources twice: NAME_kernel (freestanding, kernel flags) and NAME_host (host
# flags, sanitizers when asked). With EXPLORE, and when the interleaving explorer is built
# (PLEIADES_EXPLORER: host builds without a sanitizer), a third time as NAME_explore: host flags
# plus PLEIADES_EXPLORE, which turns every smp::Atomic access into an interleaving point
# (docs/explorer.md); its DEPENDS must be EXPLORE libraries too. DEPENDS names other dual
# libraries by their base name. The
# platform functions a library calls are declared in smp/platform/platform.h and defined by
# the kernel (kernel/platform/) or by platform_host (smp/platform/host/): the choice is made at
# link time, so the library sources carry no #ifdef for it.
function(pleiades_dual_library name)
  cmake_parse_arguments(ARG "EXPLORE" "" "SOURCES;KERNEL_SOURCES;HOST_SOURCES;DEPENDS" ${ARGN})
  if(NOT PLEIADES_HOST_ONLY)
    add_library(${name}_kernel STATIC ${ARG_SOURCES} ${ARG_KERNEL_SOURCES})
    pleiades_kernel_target(${name}_kernel)
    foreach(dep IN LISTS ARG_DEPENDS)
      target_link_libraries(${name}_kernel PUBLIC ${dep}_kernel)
    endforeach()
  endif()
  add_library(${name}_host STATIC ${ARG_SOURCES} ${ARG_HOST_SOURCES})
  pleiades_host_target(${name}_host)
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(${name}_host PUBLIC ${dep}_host)
  endforeach()
  if(ARG_EXPLORE AND PLEIADES_EXPLORER)
    add_library(${name}_explore STATIC ${ARG_SOURCES} ${ARG_HOST_SOURCES})
    pleiades_host_target(${name}_explore)
    target_compile_definitions(${name}_explore PUBLIC PLEIADES_EXPLORE=1)
    foreach(dep IN LISTS ARG_DEPENDS)
      target_link_libraries(${name}_explore PUBLIC ${dep}_explore)
    endforeach()
  endif()
endfunction()
