# The UEFI loader: gnu-efi's crt0 and linker script make a shared ELF that objcopy turns into a
# PE32+ application. Code is position-independent and uses the Microsoft ABI for firmware calls
# (EFIAPI in gnu-efi's headers).
set(GNU_EFI_INCLUDE /usr/include/efi)
set(GNU_EFI_LIB /usr/lib)
set(GNU_EFI_CRT0 ${GNU_EFI_LIB}/crt0-efi-x86_64.o)
set(GNU_EFI_LDS ${GNU_EFI_LIB}/elf_x86_64_efi.lds)
foreach(f ${GNU_EFI_CRT0} ${GNU_EFI_LDS} ${GNU_EFI_INCLUDE}/efi.h)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "gnu-efi is missing (${f}): run scripts/deps or apt-get install gnu-efi")
  endif()
endforeach()

set(PLEIADES_EFI_FLAGS
  -ffreestanding -fno-exceptions -fno-rtti -fno-asynchronous-unwind-tables
  -fpic -fshort-wchar -mno-red-zone -mgeneral-regs-only -fno-stack-protector
  -fno-strict-aliasing -DGNU_EFI_USE_MS_ABI -maccumulate-outgoing-args
  -fno-threadsafe-statics -fno-use-cxa-atexit
  # gnu-efi's self-relocation applies only R_X86_64_RELATIVE: hidden visibility keeps the
  # compiler from reaching our own symbols through GOT entries it would never fill in.
  -fvisibility=hidden)

# pleiades_efi_target(TARGET): flags for objects linked into the loader: its own (efi/) and the
# NAME_efi flavour of dual libraries (cmake/DualLibrary.cmake) it shares with the kernel.
function(pleiades_efi_target target)
  pleiades_warnings(${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_include_directories(${target} SYSTEM PRIVATE ${GNU_EFI_INCLUDE} ${GNU_EFI_INCLUDE}/x86_64)
  target_compile_options(${target} PRIVATE ${PLEIADES_EFI_FLAGS})
endfunction()
