#!/bin/sh
# make_fixtures.sh OUTDIR [--small]: the ELF files the loader's tests and fuzzer start from,
# built with the host's compilers (so they are what real toolchains write, not bytes of ours):
#   tiny_exec     tiny_program.c, no C library, -static -no-pie (ET_EXEC)
#   tiny_pie      the same as static-PIE (-static-pie: ET_DYN, no PT_INTERP)
#   glibc_static  hello.c against glibc, -static (not with --small: 750 KiB, too big a fuzz seed)
#   glibc_pie     the same, -static-pie
# and, when musl-gcc is installed (Debian package musl-tools), hello.c as
#   musl_static   musl-gcc -static (ET_EXEC)
#   musl_pie      static-PIE against musl. Debian's musl-gcc specs do not know -static-pie (they
#                 name Scrt1.o, a dynamic linker and libc.so), so the start files are given by
#                 hand: rcrt1.o (which relocates the image itself), static libc, no interpreter.
set -eu
out="$1"
small="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
cc="${CC:-cc}"
mkdir -p "$out"
flags="-O2 -ffreestanding -fno-stack-protector -nostdlib -static"
# shellcheck disable=SC2086
"$cc" $flags -no-pie -o "$out/tiny_exec" "$here/tiny_program.c"
# shellcheck disable=SC2086
"$cc" $flags -fPIE -static-pie -o "$out/tiny_pie" "$here/tiny_program.c"
if [ "$small" != "--small" ]; then
  "$cc" -O2 -static -o "$out/glibc_static" "$here/hello.c"
  "$cc" -O2 -static-pie -o "$out/glibc_pie" "$here/hello.c"
fi
rm -f "$out/musl_static" "$out/musl_pie"
if command -v musl-gcc >/dev/null 2>&1; then
  musl="/usr/lib/x86_64-linux-musl"
  musl-gcc -O2 -static -o "$out/musl_static" "$here/hello.c"
  musl-gcc -O2 -static-pie -nostartfiles -Wl,--no-dynamic-linker -Wl,-Bstatic \
    -o "$out/musl_pie" "$musl/rcrt1.o" "$musl/crti.o" "$(gcc -print-file-name=crtbeginS.o)" \
    "$here/hello.c" "$(gcc -print-file-name=crtendS.o)" "$musl/crtn.o"
fi
