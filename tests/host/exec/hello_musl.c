// A hello world against musl (musl-gcc -static and -static-pie): what the README's
// `scripts/run --add` example runs, so the loader must accept exactly this.
#include <stdio.h>

int main(int argc, char** argv) {
  printf("hello from %s with %d arguments\n", argv[0], argc);
  return 0;
}
