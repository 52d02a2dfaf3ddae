# pleiades_dual_library(NAME SOURCES ... [KERNEL_SOURCES ...] [HOST_SOURCES ...] [DEPENDS lib ...])
#
# Builds the same sources twice: NAME_kernel (freestanding, kernel flags) and NAME_host (host
# flags, sanitizers when asked). DEPENDS names other dual libraries by their base name. The
# platform functions a library calls are declared in smp/platform/platform.h and defined by
# the kernel (kernel/platform/) or by platform_host (smp/platform/host/): the choice is made at
# link time, so the library sources carry no #ifdef for it.
function(pleiades_dual_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;KERNEL_SOURCES;HOST_SOURCES;DEPENDS" ${ARGN})
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
endfunction()
