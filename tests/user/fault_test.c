/* User faults end only the faulting process: children that dereference NULL, execute a
 * privileged instruction, call into the kernel half, overflow the stack past its guard, divide
 * by zero and execute ud2, each checked through its wait status (killed by SIGSEGV, SIGFPE or
 * SIGILL, as on Linux). The parent goes on after each: the next point runs. There are no
 * signal handlers in these programs, so the default action (end the process) is what Linux
 * does too. Run without arguments; a mode argument is one child (child.h). */
#include "child.h"
#include "tap.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum { kTimeoutMs = 10000 }; /* per child: each faults at once, this only bounds a hang */

/* The depth at which recurse stops: never reached (a stack is far smaller), volatile so the
 * compiler cannot know that and still sees the recursion end. */
static volatile long recursion_limit = -1;

/* recurse: unbounded recursion with a 1 KiB frame the compiler cannot drop or turn into a
 * loop (the buffer is volatile and the result is used after the call). */
__attribute__((noinline)) static long recurse(long depth) {
  volatile char frame[1024];
  if (depth == recursion_limit) {
    return 0;
  }
  frame[0] = (char)depth;
  frame[sizeof frame - 1] = (char)depth;
  return recurse(depth + 1) + frame[0] + frame[sizeof frame - 1];
}

/* fault: does what mode names; returns only for an unknown mode or a fault that did not
 * happen. */
static void fault(const char *mode) {
  if (strcmp(mode, "exit0") == 0) {
    _exit(0);
  } else if (strcmp(mode, "null") == 0) {
    volatile int *null = (volatile int *)(uintptr_t)0;
    (void)*null;
  } else if (strcmp(mode, "hlt") == 0) {
    __asm__ volatile("hlt");
  } else if (strcmp(mode, "cli") == 0) {
    __asm__ volatile("cli");
  } else if (strcmp(mode, "kernel") == 0) {
    /* The kernel half's first address on Linux and Pleiades alike: supervisor or unmapped. */
    void (*volatile kernel)(void) = (void (*)(void))(uintptr_t)0xffffffff80000000ull;
    kernel();
  } else if (strcmp(mode, "stack") == 0) {
    (void)recurse(0);
  } else if (strcmp(mode, "div") == 0) {
    volatile int numerator = 1, zero = 0, quotient;
    quotient = numerator / zero; /* stored to a volatile, so the idiv is not dropped */
    (void)quotient;
  } else if (strcmp(mode, "ud2") == 0) {
    __asm__ volatile("ud2");
  }
}

int main(int argc, char **argv) {
  if (argc > 1) {
    fault(argv[1]);
    return 3; /* no fault happened: the parent's point fails with this status */
  }
  tap_plan(10);
  const char *self = argv[0];
  pid_t pid = getpid();
  child_expect_exit(self, "exit0", 0, kTimeoutMs, "a child that faults nowhere");
  child_expect_signal(self, "null", SIGSEGV, kTimeoutMs, "a child reading address 0");
  child_expect_signal(self, "hlt", SIGSEGV, kTimeoutMs, "a child executing hlt");
  child_expect_signal(self, "cli", SIGSEGV, kTimeoutMs, "a child executing cli");
  child_expect_signal(self, "kernel", SIGSEGV, kTimeoutMs,
                      "a child calling 0xffffffff80000000");
  child_expect_signal(self, "stack", SIGSEGV, kTimeoutMs,
                      "a child recursing past its stack guard");
  child_expect_signal(self, "div", SIGFPE, kTimeoutMs, "a child dividing by zero");
  child_expect_signal(self, "ud2", SIGILL, kTimeoutMs, "a child executing ud2");
  tap_eq(getpid(), pid, "the parent is still the same process after its children faulted");
  child_expect_exit(self, "exit0", 0, kTimeoutMs, "a child after all that, faulting nowhere");
  return tap_done();
}
