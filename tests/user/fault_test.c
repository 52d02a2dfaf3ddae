/* User faults end only the faulting process: children that dereference NULL, execute a
 * privileged instruction (hlt, cli, port output), call into or read the kernel half, use a
 * non-canonical address, write their own code, execute their stack or data, overflow the stack
 * past its guard, divide by zero, execute ud2 or int3, each checked through its wait status
 * (killed by SIGSEGV, SIGFPE, SIGILL or SIGTRAP, as on Linux). The parent goes on after each:
 * the next point runs. There are no signal handlers in these programs, so the default action
 * (end the process) is what Linux does too. And system calls made with rsp 0 work: the kernel
 * never touches the user stack on the way in or out. Run without arguments; a mode argument is
 * one child (child.h). */
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

/* Code in writable, non-executable places: ret. */
static unsigned char data_code[16] = {0xc3};

/* syscall_without_stack: getpid and exit_group with rsp 0: exit status 9 when getpid gave the
 * pid, 10 when not. A kernel that pushed anything to the user stack would write just below 0:
 * the top of the kernel half. Never returns. */
static void syscall_without_stack(void) {
  long pid = getpid();
  __asm__ volatile(
      "mov %0, %%rbx\n\t"
      "xor %%esp, %%esp\n\t"
      "mov $39, %%eax\n\t" /* getpid */
      "syscall\n\t"
      "xor %%edi, %%edi\n\t"
      "cmp %%rax, %%rbx\n\t"
      "setne %%dil\n\t"
      "add $9, %%edi\n\t"
      "mov $231, %%eax\n\t" /* exit_group */
      "syscall\n\t"
      "ud2"
      :
      : "m"(pid)
      : "rax", "rbx", "rcx", "rdi", "r11", "memory");
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
  } else if (strcmp(mode, "kernel_read") == 0) {
    (void)*(volatile long *)(uintptr_t)0xffffffff80000000ull;
  } else if (strcmp(mode, "noncanonical_read") == 0) {
    (void)*(volatile long *)(uintptr_t)0x8000000000000000ull;
  } else if (strcmp(mode, "noncanonical_call") == 0) {
    void (*volatile target)(void) = (void (*)(void))(uintptr_t)0x8000000000000000ull;
    target();
  } else if (strcmp(mode, "out") == 0) {
    __asm__ volatile("outb %%al, $0x80" : : "a"(0));
  } else if (strcmp(mode, "text_write") == 0) {
    *(volatile unsigned char *)(uintptr_t)&tap_plan = 0xc3; /* any code will do */
  } else if (strcmp(mode, "stack_exec") == 0) {
    volatile unsigned char stack_code[16] = {0xc3};
    void (*volatile target)(void) = (void (*)(void))(uintptr_t)stack_code;
    target();
  } else if (strcmp(mode, "data_exec") == 0) {
    void (*volatile target)(void) = (void (*)(void))(uintptr_t)data_code;
    target();
  } else if (strcmp(mode, "int3") == 0) {
    __asm__ volatile("int3");
  } else if (strcmp(mode, "syscall_without_stack") == 0) {
    syscall_without_stack();
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
  tap_plan(19);
  const char *self = argv[0];
  pid_t pid = getpid();
  child_expect_exit(self, "exit0", 0, kTimeoutMs, "a child that faults nowhere");
  child_expect_signal(self, "null", SIGSEGV, kTimeoutMs, "a child reading address 0");
  child_expect_signal(self, "hlt", SIGSEGV, kTimeoutMs, "a child executing hlt");
  child_expect_signal(self, "cli", SIGSEGV, kTimeoutMs, "a child executing cli");
  child_expect_signal(self, "kernel", SIGSEGV, kTimeoutMs,
                      "a child calling 0xffffffff80000000");
  child_expect_signal(self, "kernel_read", SIGSEGV, kTimeoutMs,
                      "a child reading 0xffffffff80000000");
  child_expect_signal(self, "noncanonical_read", SIGSEGV, kTimeoutMs,
                      "a child reading 0x8000000000000000 (non-canonical)");
  child_expect_signal(self, "noncanonical_call", SIGSEGV, kTimeoutMs,
                      "a child calling 0x8000000000000000 (non-canonical)");
  child_expect_signal(self, "out", SIGSEGV, kTimeoutMs, "a child writing I/O port 0x80");
  child_expect_signal(self, "text_write", SIGSEGV, kTimeoutMs, "a child writing its own code");
  child_expect_signal(self, "stack_exec", SIGSEGV, kTimeoutMs,
                      "a child calling code on its stack");
  child_expect_signal(self, "data_exec", SIGSEGV, kTimeoutMs,
                      "a child calling code in its data");
  child_expect_signal(self, "int3", SIGTRAP, kTimeoutMs, "a child executing int3");
  child_expect_exit(self, "syscall_without_stack", 9, kTimeoutMs,
                    "a child calling getpid and exit_group(9) with rsp 0");
  child_expect_signal(self, "stack", SIGSEGV, kTimeoutMs,
                      "a child recursing past its stack guard");
  child_expect_signal(self, "div", SIGFPE, kTimeoutMs, "a child dividing by zero");
  child_expect_signal(self, "ud2", SIGILL, kTimeoutMs, "a child executing ud2");
  tap_eq(getpid(), pid, "the parent is still the same process after its children faulted");
  child_expect_exit(self, "exit0", 0, kTimeoutMs, "a child after all that, faulting nowhere");
  return tap_done();
}
