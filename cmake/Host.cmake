# Host side: tests, benchmarks and tools. Sanitizers apply to host code only.
find_package(Threads REQUIRED)

set(PLEIADES_HOST_SANITIZE_FLAGS "")
if(PLEIADES_SANITIZE STREQUAL "thread")
  set(PLEIADES_HOST_SANITIZE_FLAGS -fsanitize=thread -g)
elseif(PLEIADES_SANITIZE STREQUAL "address")
  set(PLEIADES_HOST_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -g)
elseif(PLEIADES_SANITIZE STREQUAL "fuzzer")
  set(PLEIADES_HOST_SANITIZE_FLAGS -fsanitize=fuzzer-no-link,address,undefined -g)
elseif(NOT PLEIADES_SANITIZE STREQUAL "")
  message(FATAL_ERROR "PLEIADES_SANITIZE must be '', address, thread or fuzzer")
endif()

# pleiades_host_target(TARGET): flags for a host library, test, benchmark or tool.
function(pleiades_host_target target)
  pleiades_warnings(${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE ${PLEIADES_HOST_SANITIZE_FLAGS})
  target_link_options(${target} PRIVATE ${PLEIADES_HOST_SANITIZE_FLAGS})
endfunction()
