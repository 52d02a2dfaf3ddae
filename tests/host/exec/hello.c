// A hello world against a real C library, built by make_fixtures.sh with musl (musl-gcc -static
// and static-PIE: what the README's `scripts/run --add` example runs) and with glibc (gcc
// -static and -static-pie: what unmodified static Linux programs look like), so the loader must
// accept exactly these.
#include <stdio.h>

int main(int argc, char** argv) {
  printf("hello from %s with %d arguments\n", argv[0], argc);
  return 0;
}
