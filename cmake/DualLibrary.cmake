# pleiades_dual_library(NAME SOURCES ... [KERNEL_SOURCES ...] [HOST_SOURCES ...] [EFI_SOURCES ...]
#                       [DEPENDS lib ...] [EXPLORE] [BENCH] [EFI] [NO_KERNEL])
#
# The one way the project builds a source more than once: every file compiled for the kernel (or
# the loader) and for the host goes through this function, and tests and benchmarks link the
# resulting libraries instead of compiling sources by path. The flavours, all from SOURCES plus
# that flavour's own list:
#   NAME_kernel   static, freestanding kernel flags (cmake/Kernel.cmake), KERNEL_SOURCES; linked
#                 by the kernel. Left out with NO_KERNEL, and in PLEIADES_HOST_ONLY builds.
#   NAME_host     static, host flags and the sanitizer when one is asked for, HOST_SOURCES;
#                 linked by tests, benchmarks and tools. Always built.
#   NAME_explore  with EXPLORE, when the interleaving explorer is built (PLEIADES_EXPLORER: host
#                 builds without a sanitizer): host flags plus PLEIADES_EXPLORE, which turns every
#                 smp::Atomic access into an interleaving point (docs/explorer.md), HOST_SOURCES.
#                 Its DEPENDS must be EXPLORE libraries too.
#   NAME_bench    with BENCH, when the benchmarks are built (PLEIADES_BENCH): NAME_host plus
#                 PLEIADES_HOST_INLINE_PLATFORM, which makes the platform's per-call fast
#                 functions inline as in the kernel (smp/platform/host/platform_inline.h), for
#                 benchmarks of code whose fast path they are on (bench/alloc); linked with
#                 platform_bench. Its DEPENDS must be BENCH libraries too.
#   NAME_efi      with EFI, an OBJECT library with the loader's flags (cmake/Efi.cmake),
#                 EFI_SOURCES: efi/CMakeLists.txt puts its objects into BOOTX64.EFI (the loader
#                 is linked by hand with gnu-efi's script, so it takes objects, not archives).
#                 Its DEPENDS must be EFI libraries too. Left out in PLEIADES_HOST_ONLY builds.
# DEPENDS names other dual libraries by their base name; each flavour links the same flavour of
# them (for NAME_efi only their usage requirements: the loader lists every object library).
# Names say the folder the sources live in: smp/calls -> smp_calls, kernel/time -> kernel_time.
#
# The platform functions a library calls are declared in smp/platform/platform.h and defined by
# the kernel (kernel/platform/) or by platform_host / platform_explore (smp/platform/host/): the
# choice is made at link time, so the library sources carry no #ifdef for it. The exception,
# made in platform.h alone: current_cpu and the interrupt flag are inline in the kernel
# (PLEIADES_KERNEL, set by pleiades_kernel_target) and in NAME_bench, out of line in NAME_host
# and NAME_explore.
# A host library flavour NAME_SUFFIX: the host build of SOURCES compiled with DEFINITION=1,
# linked to the same flavour of each of DEPENDS (NAME_explore, NAME_bench).
function(pleiades_host_flavour name suffix definition sources depends)
  add_library(${name}_${suffix} STATIC ${sources})
  pleiades_host_target(${name}_${suffix})
  target_compile_definitions(${name}_${suffix} PUBLIC ${definition}=1)
  foreach(dep IN LISTS depends)
    target_link_libraries(${name}_${suffix} PUBLIC ${dep}_${suffix})
  endforeach()
endfunction()

function(pleiades_dual_library name)
  cmake_parse_arguments(ARG "EXPLORE;BENCH;EFI;NO_KERNEL" ""
    "SOURCES;KERNEL_SOURCES;HOST_SOURCES;EFI_SOURCES;DEPENDS" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pleiades_dual_library(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "pleiades_dual_library(${name}): no SOURCES")
  endif()
  if(NOT PLEIADES_HOST_ONLY AND NOT ARG_NO_KERNEL)
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
    pleiades_host_flavour(${name} explore PLEIADES_EXPLORE "${ARG_SOURCES};${ARG_HOST_SOURCES}"
                          "${ARG_DEPENDS}")
  endif()
  if(ARG_BENCH AND PLEIADES_BENCH)
    pleiades_host_flavour(${name} bench PLEIADES_HOST_INLINE_PLATFORM
                          "${ARG_SOURCES};${ARG_HOST_SOURCES}" "${ARG_DEPENDS}")
  endif()
  if(ARG_EFI AND NOT PLEIADES_HOST_ONLY)
    add_library(${name}_efi OBJECT ${ARG_SOURCES} ${ARG_EFI_SOURCES})
    pleiades_efi_target(${name}_efi)
    foreach(dep IN LISTS ARG_DEPENDS)
      target_link_libraries(${name}_efi PUBLIC ${dep}_efi)
    endforeach()
  endif()
endfunction()
