/* The vDSO image built from vdso.c (kernel/vdso/CMakeLists.txt), embedded read-only in the
 * kernel; vdso.cc checks it and copies it into page frames. PLEIADES_VDSO_SO names the file. */
  .section .rodata, "a"
  .balign 64
  .globl pleiades_vdso_image_start
pleiades_vdso_image_start:
  .incbin PLEIADES_VDSO_SO
  .globl pleiades_vdso_image_end
pleiades_vdso_image_end:
  .section .note.GNU-stack, "", @progbits
