/* The first user program: says hello and lists its arguments (README, "Running your own
 * program"). Run by hand, or as process 1: `init=/bin/hello -- a b`. */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello from user space\n");
  printf("argc = %d\n", argc);
  for (int i = 0; i < argc; ++i) {
    printf("argv[%d] = \"%s\"\n", i, argv[i]);
  }
  return 0;
}
