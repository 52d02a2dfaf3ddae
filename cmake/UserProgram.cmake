# User programs: ordinary C for Linux x86-64, linked statically against musl with Debian's
# musl-gcc (package musl-tools). They run on the host's Linux as they are and, once the kernel
# runs user programs, from the initramfs (issue 12). No libc and no compiler wrapper of our own.
#
# musl-gcc is a script that runs the host gcc with musl's specs file; it cannot be the project's
# CMAKE_C_COMPILER (the kernel and the host code use the host compiler), so every program is one
# custom command: compile and link in one musl-gcc call, output build/user/NAME.
find_program(PLEIADES_MUSL_GCC musl-gcc)
if(NOT PLEIADES_MUSL_GCC OR NOT EXISTS "${PLEIADES_MUSL_GCC}")
  message(FATAL_ERROR "musl-gcc is missing (user programs are built with it): run scripts/deps, "
                      "or: sudo apt-get install -y musl-tools")
endif()

# Debian 12's musl-gcc.specs (musl 1.2.3) replaces gcc's link and start-file rules and has no
# rule for -static-pie: `musl-gcc -static-pie` links Scrt1.o with an interpreter
# (/lib/ld-musl-x86_64.so.1), which is not a static-PIE. So a static-PIE is linked with musl's
# own static-PIE start file, rcrt1.o (it relocates the program itself before main), and the
# linker flags gcc's -static-pie passes: -static -pie --no-dynamic-linker -z text. The start
# and end files are named in link order because -nostartfiles drops them all.
set(PLEIADES_MUSL_LIB /usr/lib/x86_64-linux-musl)
foreach(f rcrt1.o crti.o crtn.o libc.a)
  if(NOT EXISTS ${PLEIADES_MUSL_LIB}/${f})
    message(FATAL_ERROR "musl is incomplete (${PLEIADES_MUSL_LIB}/${f} missing): "
                        "sudo apt-get install -y musl-tools musl-dev")
  endif()
endforeach()
execute_process(COMMAND ${PLEIADES_MUSL_GCC} -print-file-name=crtbeginS.o
                OUTPUT_VARIABLE PLEIADES_CRTBEGIN_S OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${PLEIADES_MUSL_GCC} -print-file-name=crtendS.o
                OUTPUT_VARIABLE PLEIADES_CRTEND_S OUTPUT_STRIP_TRAILING_WHITESPACE)
foreach(f ${PLEIADES_CRTBEGIN_S} ${PLEIADES_CRTEND_S})
  if(NOT IS_ABSOLUTE ${f} OR NOT EXISTS ${f})
    message(FATAL_ERROR "gcc has no ${f} (needed to link static-PIE user programs)")
  endif()
endforeach()

set(PLEIADES_USER_DIR ${CMAKE_BINARY_DIR}/user)
# -ffile-prefix-map: no build path ends up in a binary (assert messages), so the programs and
# the archives that carry them are the same in every checkout.
set(PLEIADES_USER_FLAGS -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror
    -ffile-prefix-map=${PROJECT_SOURCE_DIR}/=)

# pleiades_user_program(NAME SOURCES file.c... [PIE] [INCLUDES dir...]): builds
# build/user/NAME with `musl-gcc -static` (ET_EXEC), or as a static-PIE (ET_DYN, no PT_INTERP)
# with PIE. Target user_NAME (built by ALL). Sets the global property
# PLEIADES_USER_PROGRAM_<NAME> to the output path.
function(pleiades_user_program name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "PIE" "" "SOURCES;INCLUDES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "pleiades_user_program(${name}): no SOURCES")
  endif()
  set(out ${PLEIADES_USER_DIR}/${name})
  set(sources "")
  foreach(s ${arg_SOURCES})
    list(APPEND sources ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  set(includes "")
  foreach(dir ${arg_INCLUDES})
    list(APPEND includes -I${dir})
  endforeach()
  if(arg_PIE)
    set(link -fPIE -static -nostartfiles -Wl,-pie,--no-dynamic-linker,-z,text
        ${PLEIADES_MUSL_LIB}/rcrt1.o ${PLEIADES_MUSL_LIB}/crti.o ${PLEIADES_CRTBEGIN_S}
        ${sources} -lc -lgcc ${PLEIADES_CRTEND_S} ${PLEIADES_MUSL_LIB}/crtn.o)
    set(kind "static-PIE")
  else()
    set(link -static ${sources})
    set(kind "static")
  endif()
  # Header changes rebuild the program: every header beside the sources and in INCLUDES.
  set(headers "")
  foreach(dir ${CMAKE_CURRENT_SOURCE_DIR} ${arg_INCLUDES})
    file(GLOB dir_headers CONFIGURE_DEPENDS ${dir}/*.h)
    list(APPEND headers ${dir_headers})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PLEIADES_USER_DIR}
    COMMAND ${PLEIADES_MUSL_GCC} ${PLEIADES_USER_FLAGS} ${includes} ${link} -o ${out}
    DEPENDS ${sources} ${headers}
    COMMENT "Building user program ${name} (musl, ${kind})"
    VERBATIM)
  add_custom_target(user_${name} ALL DEPENDS ${out})
  set_property(GLOBAL PROPERTY PLEIADES_USER_PROGRAM_${name} ${out})
endfunction()

# pleiades_test_archive_file(NAME GUEST_PATH): puts user program NAME (pleiades_user_program) into
# the test initramfs (build/initramfs-test.cpio, kernel/fs/CMakeLists.txt) at GUEST_PATH, beside
# the user tests. For programs the test runner does not run itself: the fuzzer, the benchmarks.
function(pleiades_test_archive_file name guest_path)
  set_property(GLOBAL APPEND PROPERTY PLEIADES_TEST_ARCHIVE_FILES "${name}=${guest_path}")
endfunction()
