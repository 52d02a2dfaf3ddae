// A program without a C library, built by the test build as ET_EXEC (-static -no-pie) and as
// static-PIE (-static-pie): code, read-only data, initialised data, zeroed data (a .bss larger
// than a page, so memory size exceeds file size) and a thread-local variable (PT_TLS). It
// writes one line and exits, so it can also be run by hand on Linux.
__thread int tls_counter = 7;
static const char kMessage[] = "tiny program\n";
int data_word = 42;
char bss_block[8192];

static long syscall3(long number, long a, long b, long c) {
  long result;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return result;
}

void _start(void) {
  bss_block[4096] = (char)data_word;
  syscall3(1, 1, (long)kMessage, sizeof(kMessage) - 1);  // write(1, ...)
  syscall3(60, bss_block[4096] == 42 ? 0 : 1, 0, 0);     // exit
  for (;;) {
  }
}
