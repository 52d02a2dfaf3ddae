# Kernel side: freestanding C++20, no exceptions or RTTI, no red zone (interrupts push onto the
# current stack), no SSE/x87 (the kernel never saves FPU state for itself), kernel code model
# (linked in the top 2 GiB), no PIC. Frame pointers stay on for the backtrace. The compiler's own
# copies and clears are unrolled loops up to 256 bytes and calls of memcpy / memset above, never
# `rep movs` / `rep stos`, which QEMU's TCG runs an iteration at a time (smp/klib/freestanding/
# string.cc).
set(PLEIADES_KERNEL_FLAGS
  -ffreestanding -fno-exceptions -fno-rtti -fno-asynchronous-unwind-tables
  -mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 -mno-80387
  -mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer
  -fno-threadsafe-statics -fno-use-cxa-atexit -fno-builtin-malloc
  -nostdlib -fno-strict-aliasing -g
  -mmemcpy-strategy=unrolled_loop:256:noalign,libcall:-1:noalign
  -mmemset-strategy=unrolled_loop:256:noalign,libcall:-1:noalign)

# pleiades_kernel_target(TARGET): flags for kernel-side objects and libraries.
function(pleiades_kernel_target target)
  pleiades_warnings(${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${PLEIADES_KERNEL_FLAGS}>
    $<$<COMPILE_LANGUAGE:C>:${PLEIADES_KERNEL_FLAGS}>
    $<$<COMPILE_LANGUAGE:ASM>:-g>)
  target_compile_definitions(${target} PUBLIC PLEIADES_KERNEL=1)
endfunction()
