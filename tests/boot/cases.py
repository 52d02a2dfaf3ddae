"""The QEMU boot-test cases: one row per boot.

Each row is a Case (harness.py): how to boot (machine, smp, mem, cmdline, kernel mutation, which
initramfs: archive "default" (build/initramfs.cpio) or "test" (build/initramfs-test.cpio, with
the user test programs in /tests), as it is, mutated, or "none"), what
the serial log must contain (expect: regexes, searched line by line after ANSI escapes and
carriage returns are removed), what it must not contain (forbid), how QEMU must end (status, the
raw QEMU exit status: 1 = the kernel wrote 0 to isa-debug-exit, 3 = it wrote 1; None = the case
passes once everything expected was seen and QEMU is then stopped), and a deadline.

To add a case, add a row. Regexes are Python `re` syntax with re.MULTILINE. For the user test
programs, which print TAP, tap.check_passed in `checks` fails the case on any failed test point
or on a program that printed fewer points than it planned.
"""

import os
import re

import tap
from harness import Case, summary_passed
from keyboard import Key, Keyboard

# Lines that only appear when something went wrong.
PANIC = r"PANIC"
KERNEL_EXCEPTION = r"^EXCEPTION "  # kernel/core/crash_report.cc report header
FIRMWARE_EXCEPTION = r"!!!! X64 Exception"  # OVMF's handler: the loader (or firmware) faulted
# The main thread's report when an online CPU did not enter the scheduler within its deadline
# (kernel/threads/kernel_scheduler.cc, wait_for_cpus).
SCHED_CPU_MISSING = r"did not enter the scheduler"
ALWAYS_FORBIDDEN = (FIRMWARE_EXCEPTION,)
NORMAL_FORBIDDEN = (PANIC, KERNEL_EXCEPTION, FIRMWARE_EXCEPTION, SCHED_CPU_MISSING)

# Any kernel output: klog's level prefixes (kernel/console/log.cc), panics, exception reports,
# the test summary.
KERNEL_OUTPUT = (r"^\[(debug|info|warn|error)\] ", PANIC, KERNEL_EXCEPTION, r"\d+ passed, \d+ failed")

# The in-kernel test summary with no failure (the harness also checks that N > 0).
TESTS_PASSED = r"^\d+ passed, 0 failed"

# The loader rejected the kernel image, named the reason, and returned to the firmware.
LOADER_ERROR = r"^pleiades loader: "


def kernel_tests(name, cmdline="test qemu_exit", **kw):
    """`test qemu_exit`: every in-kernel test passes and the kernel exits QEMU with success."""
    return Case(name=name, cmdline=cmdline, expect=(TESTS_PASSED,),
                forbid=NORMAL_FORBIDDEN, status=1, checks=(summary_passed,), **kw)


def bad_kernel(name, mutation, reason):
    """The loader must refuse a malformed kernel.elf with `pleiades loader: ...REASON` and start
    nothing: no kernel line may appear. OVMF then falls back to its boot menu, so the case ends
    when the message was seen (plus a grace period to catch output that follows it)."""
    return Case(name=name, kernel=mutation, cmdline="test qemu_exit",
                expect=(LOADER_ERROR + r".*(" + reason + r")",),
                forbid=ALWAYS_FORBIDDEN + KERNEL_OUTPUT, status=None)


def deliberate_fault(name, fault, mnemonic):
    """`fault=KIND`: the kernel's exception report names the vector, the backtrace is
    symbolized down to kernel_main, the kernel panics and exits QEMU with failure."""
    return Case(name=name, cmdline=f"fault={fault} qemu_exit",
                expect=(r"^EXCEPTION " + mnemonic + " ", r"^backtrace:",
                        r"^\s+#\d+ 0x[0-9a-f]{16} kernel_main\+0x[0-9a-f]+$", r"^PANIC: "),
                forbid=ALWAYS_FORBIDDEN, status=3)


# SMP bring-up (kernel/cpus, docs/smp.md): the report line, every CPU online, no failure line.
SMP_FAILED = r"^\[error\] smp: cpu \d+ apic \d+ failed"


def smp_online(n, m):
    return r"^\[info\] smp: " + str(n) + " of " + str(m) + r" CPUs online in \d+ ms"


def smp_case(name, smp, expect, cmdline="test qemu_exit", forbid=NORMAL_FORBIDDEN + (SMP_FAILED,)):
    """In-kernel tests pass and the SMP report says what `expect` says."""
    return Case(name=name, smp=smp, cmdline=cmdline, expect=(TESTS_PASSED,) + expect,
                forbid=forbid, status=1, checks=(summary_passed,), timeout=240.0)


# ACPI (kernel/firmware, acpi/): the topology printed at boot matches QEMU's configuration, and a
# malformed table is reported (table, offset, reason) while the kernel boots on.
MALFORMED_TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "acpi",
                                "malformed")


def acpi_case(name, expect, **kw):
    return Case(name=name, cmdline="test qemu_exit", expect=(TESTS_PASSED,) + expect,
                forbid=NORMAL_FORBIDDEN, status=1, checks=(summary_passed,), timeout=240.0, **kw)


def numa_args(nodes, cpus_per_node, mib_per_node):
    args = []
    for n in range(nodes):
        first = n * cpus_per_node
        args += ["-object", f"memory-backend-ram,id=m{n},size={mib_per_node}M",
                 "-numa", f"node,memdev=m{n},cpus={first}-{first + cpus_per_node - 1},nodeid={n}"]
    return tuple(args)


# x2APIC, booted: QEMU 7.2's TCG has no x2APIC, QEMU 10's has (harness.QEMUS "qemu10", fetched
# by scripts/deps). The boot CPU's report says which mode runs and what the firmware left on.
def x2apic_case(name, smp, expect, qemu_args):
    return Case(name=name, smp=smp, qemu="qemu10", qemu_args=("-cpu", "max,+x2apic") + qemu_args,
                expect=(TESTS_PASSED,) + expect, forbid=NORMAL_FORBIDDEN + (SMP_FAILED,),
                status=1, checks=(summary_passed,), timeout=240.0)


# A CPU whose APIC ID (256) only x2APIC can address: -smp 2,maxcpus=258 with two sockets of 129
# cores makes socket 1's core 0 APIC ID 1 << 8; -device plugs that CPU in. The MADT describes it
# with a Local x2APIC entry, OVMF's CPU start-up turns x2APIC on and leaves it on, and the
# intel-iommu with interrupt remapping in x2APIC mode (eim) is what such machines have.
X2APIC_ID_ABOVE_255 = ("-device", "intel-iommu,intremap=on,eim=on",
                       "-device", "max-x86_64-cpu,socket-id=1,core-id=0,thread-id=0")

# The initramfs (kernel/fs/initramfs): the loader reads initramfs.cpio beside it, the kernel
# checks every entry and reports what the archive holds, or refuses a malformed one naming the
# entry and offset; either way the boot goes on. A good archive is unpacked into the root file
# system (kernel/fs/ramfs); without one the root stays empty.
INITRAMFS_OK = r"^\[info\] initramfs: \d+ entries \(\d+ directories, \d+ files of \d+ bytes"
RAMFS_UNPACKED = (r"^\[info\] ramfs: unpacked [1-9]\d* files, [1-9]\d* dirs, \d+ symlinks, "
                  r"\d+ special, \d+ hard links \(\d+ KiB\), \d+ nodes$")
RAMFS_EMPTY = r"^\[info\] ramfs: the root is empty$"


def initramfs_case(name, mutation, pattern):
    return Case(name=name, cmdline="test=mm_ qemu_exit", initramfs=mutation,
                expect=(TESTS_PASSED, pattern, RAMFS_EMPTY),
                forbid=NORMAL_FORBIDDEN + (INITRAMFS_OK, RAMFS_UNPACKED),
                status=1, checks=(summary_passed,))


# User space (issue 12): process 1 from the initramfs, its exit status reported by the kernel.
def init_exited(name, status=0):
    return r"^\[info\] init: pid 1 \(" + name + r"\) exited with status " + str(status) + "$"


USER_TESTS_PASSED = r"^user tests: [1-9]\d* passed, 0 failed$"
# Once process 1 has gone, everything user space held is back (kernel/proc/process.cc).
LEAK_CHECK_OK = r"^\[info\] user: leak check ok: "


def user_tests(name, smp):
    """The user test programs (/tests/run runs each with vfork, execve and wait4): every TAP
    point passes, the runner's summary has no failure, and process 1 exits with status 0."""
    return Case(name=name, smp=smp, archive="test", cmdline="qemu_exit init=/tests/run",
                expect=(USER_TESTS_PASSED, init_exited("run"), LEAK_CHECK_OK),
                forbid=NORMAL_FORBIDDEN,
                status=1, checks=(tap.check_passed,))


# The system-call fuzzer (tests/user/syscall_fuzz.c) as process 1 for 10 s: children making
# random calls from every CPU may die any way they like; the kernel must neither panic nor hang,
# the fuzzer's TAP passes (every child ended), and once it has gone everything is back.
FUZZ_SECONDS = 10


def user_fuzz(name, smp):
    return Case(name=name, smp=smp, archive="test",
                cmdline=f"qemu_exit init=/tests/syscall_fuzz -- {FUZZ_SECONDS}",
                expect=(r"^ok 2 - every child ended", init_exited("syscall_fuzz"), LEAK_CHECK_OK),
                forbid=NORMAL_FORBIDDEN, status=1, checks=(tap.check_passed,), timeout=180.0)


def busybox_session(name, smp):
    """tests/user/busybox_session.sh as process 1 (Debian's busybox-static sh): every line it
    prints as expected, `poweroff -f` leaving QEMU with success. (The test archive also has
    /bench, the user benchmarks.)"""
    cpus = smp.split(",")[0]
    return Case(name=name, smp=smp, archive="test",
                cmdline="qemu_exit init=/tests/busybox_session.sh",
                expect=(r"^session: start$", r"^session: ls: (bench )?bin dev etc init ",
                        rf"^session: cpus {cpus} online {cpus}$", r"^session: ps header lines 1$",
                        r"^session: seq 10000$", r"^session: pipeline 97,87,79,$",
                        r"^session: exit status 3$", r"^session: killed job status 143$",
                        rf"^session: taskset placed {cpus} of {cpus}$", r"^session: file data$",
                        r"^session: end$", r"^\[info\] reboot: power down"),
                forbid=NORMAL_FORBIDDEN, status=1)


# The default initramfs's busybox shell (/init: exec /bin/sh on the console terminal) driven
# over the serial port as a person would (kernel/tty, docs/terminal.md): each command is typed
# at a fresh prompt. ^C goes to a foreground `sleep 100` once it runs (its `sh -c` parent says
# so after ash made its group the foreground one), and the prompt must come back with $? 130.
PROMPT = r"^/ # "
TTY_READY = r"^\[info\] tty: console terminal on COM1, IRQ 4 -> GSI \d+ vector 0x[0-9a-f]+$"
TTY_FORBIDDEN = NORMAL_FORBIDDEN + (r"tty: .*without an interrupt", r"can't access tty")
INTERACTIVE_COMMANDS = (
    "echo hello from the terminal",
    "ls /",
    "cat /proc/cpuinfo | grep -c processor",
    "ps",
    "seq 1 10000 | wc -l",
    "seq 1 100 | grep 7 | sort -r | head -3 | tr '\\n' ,; echo",
    "sh -c 'exit 3'; echo status=$?",
    # SIGKILL: an interactive ash ignores SIGTERM, and its forked child does so until it resets
    # its signals, so a SIGTERM sent at once may be dropped there (on Linux too) and the job
    # would sleep on. (Pleiades once let such a dropped-while-blocked signal cut the sleep short.)
    "sleep 100 & pid=$!; kill -KILL $pid; wait $pid; echo killed=$?",
    "n=$(nproc); i=0; p=0; while [ $i -lt $n ]; do "
    "[ \"$(taskset -c $i cat /proc/self/stat | cut -d' ' -f39)\" = $i ] && p=$((p+1)); "
    "i=$((i+1)); done; echo placed=$p/$n",
)


def busybox_interactive(name, smp):
    cpus = smp.split(",")[0]
    steps = tuple((PROMPT, command + "\r") for command in INTERACTIVE_COMMANDS)
    steps += ((PROMPT, "sh -c 'echo sleeping; exec sleep 100'\r"), (r"^sleeping$", "\x03"),
              (PROMPT, "echo interrupted=$?\r"),
              # ^Z stops the foreground job, fg continues it in the foreground (its CONT trap
              # says so), then ^C ends it.
              (PROMPT, "sh -c 'trap \"echo continued\" CONT; echo napping; "
                       "while :; do sleep 1; done'\r"),
              (r"^napping$", "\x1a"), (r"Stopped", ""), (PROMPT, "jobs\r"), (PROMPT, "fg\r"),
              (r"^continued$", "\x03"), (PROMPT, "echo resumed=$?\r"),
              (PROMPT, "poweroff -f\r"))
    return Case(name=name, smp=smp, cmdline="qemu_exit", interact=steps,
                expect=(TTY_READY, r"^hello from the terminal$",
                        r"^bin\s+etc\s+linuxrc\s+sbin\s+usr$",
                        # (a kernel warning line may come between the command and its output)
                        rf"^/ # cat /proc/cpuinfo \| grep -c processor\n(\[warn\] .*\n)?{cpus}$",
                        r"^\s*PID\s+USER\s+(TIME\s+)?COMMAND$", r"^\s*1 (0|root)\s+.*/init$", r"^\s*\d+ (0|root)\s+.*/bin/sh$",
                        r"^10000$", r"^97,87,79,$", r"^status=3$", r"^killed=137$",
                        rf"^placed={cpus}/{cpus}$", r"^sleeping\n\^C",
                        r"^interrupted=130$", r"^napping\n\^Z", r"^\[1\]\+\s+Stopped",
                        r"^continued$", r"^resumed=130$", r"^\[info\] reboot: power down"),
                forbid=TTY_FORBIDDEN, status=1, timeout=240.0)


# Typed ahead: every line is sent as soon as the terminal exists, before the shell has started
# or printed a prompt; the terminal keeps it until the shell reads it.
def busybox_typeahead(name, smp):
    keys = "echo typed ahead one\recho typed ahead $((40 + 2))\rpoweroff -f\r"
    return Case(name=name, smp=smp, cmdline="qemu_exit", interact=((TTY_READY, keys),),
                expect=(r"^typed ahead one$", r"^typed ahead 42$",
                        r"^\[info\] reboot: power down"),
                forbid=TTY_FORBIDDEN, status=1, timeout=180.0)


# The PS/2 keyboard (kernel/tty/ps2_keyboard.cc, keyboard_map.cc): keys pressed on QEMU's
# emulated keyboard through its monitor (nothing is written to the serial port) reach the shell
# as the US layout says: every printable ASCII character (the apostrophe quotes the others), with
# and without Shift; Caps Lock, which Shift undoes for letters; Backspace erasing; Enter; and
# Ctrl-C interrupting a foreground `sleep 100`.
KEYBOARD_TEXT = ("!@#$%^&*()_+{}|:\"<>?~ -=[]\\;,./` 0123456789 abcdefghijklmnopqrstuvwxyz "
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CAPS_LOCK = Key("caps_lock")


def keyboard_case(name, smp):
    steps = ((PROMPT, Keyboard((f"echo '{KEYBOARD_TEXT}'\r",))),
             (PROMPT, Keyboard(("echo ", CAPS_LOCK, "caps Ab", CAPS_LOCK, " off\r"))),
             (PROMPT, Keyboard(("echo erasx", Key("backspace"), "ed\r"))),
             (PROMPT, Keyboard(("sh -c 'echo sleeping; exec sleep 100'\r",))),
             (r"^sleeping$", Keyboard((Key("ctrl-c"),))),
             (PROMPT, Keyboard(("echo status=$?\r",))),
             (PROMPT, Keyboard(("poweroff -f\r",))))
    return Case(name=name, smp=smp, cmdline="qemu_exit", interact=steps,
                expect=(TTY_READY,
                        r"^\[info\] tty: PS/2 keyboard, IRQ 1 -> GSI \d+ vector 0x[0-9a-f]+$",
                        "^" + re.escape(KEYBOARD_TEXT) + "$", r"^CAPS aB off$", r"^erased$",
                        r"^sleeping\n\^C", r"^status=130$", r"^\[info\] reboot: power down"),
                forbid=TTY_FORBIDDEN, status=1, timeout=240.0)


CASES = [
    Case(name="test-smp1", smp="1", expect=(TESTS_PASSED, INITRAMFS_OK, RAMFS_UNPACKED),
         forbid=NORMAL_FORBIDDEN, status=1, checks=(summary_passed,)),
    initramfs_case("initramfs-none", "none", r"^\[info\] initramfs: none$"),
    initramfs_case("initramfs-truncated", "truncated",
                   r"^\[error\] initramfs: (entry \"[^\"]+\" )?at offset \d+: "
                   r"(truncated header|.*past the end|.*without TRAILER).*; archive ignored$"),
    initramfs_case("initramfs-dotdot", "dotdot",
                   r"^\[error\] initramfs: entry \"\.\./motdx\" at offset \d+: path has a "
                   r"'\.\.' component"),
    kernel_tests("test-smp2", smp="2"),
    kernel_tests("test-smp4", smp="4"),
    user_tests("user-tests-smp1", "1"),
    user_tests("user-tests-smp2", "2"),
    user_tests("user-tests-smp4", "4"),
    user_fuzz("user-fuzz-smp2", "2"),
    user_fuzz("user-fuzz-smp4", "4"),
    # vdso_test with the vDSO's clock sent to the system call: the fallback path end to end.
    Case(name="vdso-syscall-smp2", smp="2", archive="test",
         cmdline="qemu_exit vdso_clock=off init=/tests/vdso_test",
         expect=(r"^\[info\] vdso: 1 page\(s\) \+ vvar; clock: system call \(vdso_clock=off\)",
                 init_exited("vdso_test"), LEAK_CHECK_OK),
         forbid=NORMAL_FORBIDDEN, status=1, checks=(tap.check_passed,)),
    busybox_session("busybox-session-smp1", "1"),
    busybox_session("busybox-session-smp2", "2"),
    busybox_session("busybox-session-smp4", "4"),
    busybox_interactive("busybox-interactive-smp1", "1"),
    busybox_interactive("busybox-interactive-smp2", "2"),
    busybox_interactive("busybox-interactive-smp4", "4"),
    busybox_typeahead("busybox-typeahead-smp2", "2"),
    keyboard_case("keyboard-smp2", "2"),
    # A child's last thread stays in the kernel 5 ms after its parent could reap it: a switch
    # back to it must not touch the freed process (kernel/proc/process.cc, exit_thread).
    Case(name="user-exit-window-smp2", smp="2", archive="test",
         cmdline="qemu_exit proc_exit_delay=5 init=/tests/spawn_test",
         expect=(init_exited("spawn_test"), LEAK_CHECK_OK), forbid=NORMAL_FORBIDDEN, status=1,
         checks=(tap.check_passed,)),
    # A musl program and Debian's static busybox (glibc) as process 1, arguments after `--`.
    Case(name="user-hello-smp1", smp="1", cmdline="qemu_exit init=/bin/hello -- one two",
         expect=(r"^hello from user space$", r"^argc = 3$", r'^argv\[2\] = "two"$',
                 init_exited("hello")), forbid=NORMAL_FORBIDDEN, status=1),
    Case(name="user-busybox-smp2", smp="2", cmdline="qemu_exit init=/bin/busybox -- uname -a",
         expect=(r"^Linux pleiades 6\.1\.0-pleiades #1 SMP PREEMPT x86_64 GNU/Linux$",
                 init_exited("busybox")), forbid=NORMAL_FORBIDDEN, status=1),
    # An init that is not there: reported, and the kernel carries on to idle.
    Case(name="user-init-missing-smp1", smp="1", cmdline="init=/bin/nothing",
         expect=(r"^\[error\] init: cannot run /bin/nothing: /bin/nothing: ENOENT",
                 r"^\[info\] boot complete; idle$"), forbid=NORMAL_FORBIDDEN, status=None),
    # The CPUs the MADT lists but QEMU does not run (-smp 2,maxcpus=4): not started, no hang.
    smp_case("smp-absent-cpus", "2,maxcpus=4", (smp_online(2, 2),)),
    smp_case("smp-online-4", "4", (smp_online(4, 4),)),
    # A fake, never-answering APIC ID: reported failed after its deadline and one retry, the
    # boot reaches the test summary with every real CPU online.
    smp_case("smp-fake-apic", "4", (smp_online(4, 5),
                                    r"^\[error\] smp: cpu 4 apic 64 failed after 2 start "
                                    r"rounds, last stage not started"),
             cmdline="test qemu_exit smp_fake_apic=0x40", forbid=NORMAL_FORBIDDEN),
    # Also the scheduler's opt-out: every test passes without it (the scheduler tests skip).
    smp_case("smp-serial-nosched", "4",
             (smp_online(4, 4), r"^\[info\] sched: off \(nosched or sched=off\)"),
             cmdline="test qemu_exit smp=serial nosched",
             forbid=NORMAL_FORBIDDEN + (SMP_FAILED, r"sched: started")),
    smp_case("smp-off", "2", (r"^\[info\] smp: 1 of 2 CPUs online in 0 ms \(boot CPU only",),
             cmdline="test qemu_exit nosmp"),
    # No HPET (q35 with hpet=off): the TSC rate is measured against the ACPI PM timer
    # (kernel/time/tsc_rate.h), the cross-CPU TSC check runs, and every in-kernel test passes.
    Case(name="time-no-hpet-smp2", smp="2", cmdline="test qemu_exit",
         expect=(TESTS_PASSED, r"^\[info\] tsc: no HPET; trying the PM timer$",
                 r"^\[info\] tsc: \d+ MHz \(PM timer\)", smp_online(2, 2),
                 r"^\[info\] tsc: sync check: 1 CPUs in \d+ ms"),
         forbid=NORMAL_FORBIDDEN + (SMP_FAILED,), status=1, checks=(summary_passed,),
         timeout=240.0, qemu_args=("-machine", "hpet=off")),
    acpi_case("acpi-topology-q35", (r"^\[info\] acpi: 4 usable CPUs, 0 skipped entries; boot CPU APIC ID 0$",
                                    r"^\[info\] acpi:   cpu 3 apic 3 uid 3 xapic$",
                                    r"^\[info\] acpi:   ioapic id 0 at 0xfec00000 gsi base 0$",
                                    r"^\[info\] acpi:   irq 0 -> gsi 2 "), smp="4"),
    acpi_case("acpi-topology-pc", (r"^\[info\] acpi: 2 usable CPUs, 0 skipped entries; boot CPU APIC ID 0$",
                                   r"^\[info\] acpi:   cpu 1 apic 1 uid 1 xapic$",
                                   r"^\[info\] acpi:   ioapic id 0 at 0xfec00000 gsi base 0$"),
              machine="pc", smp="2"),
    acpi_case("acpi-numa", (r"^\[info\] acpi: srat: 2 NUMA node\(s\)$",
                            r"^\[info\] acpi:   node 0: cpus 0 1; memory \d+ MiB$",
                            r"^\[info\] acpi:   node 1: cpus 2 3; memory \d+ MiB$",
                            r"^\[info\] acpi: slit: 2 localities$",
                            r"^\[info\] acpi:   distances from 0: 10 21$",
                            r"^\[info\] acpi:   distances from 1: 21 10$",
                            r"^\[info\] acpi:   node 0 nearest first: 0 1$",
                            r"^\[info\] acpi:   node 1 nearest first: 1 0$",
                            # NUMA placement of frames (kernel/mm/numa_placement.h): each node's
                            # memory, and each node's CPU served from its own node.
                            r"^\[info\] mm: node 0: \d+ MiB, \d+ MiB free$",
                            r"^\[info\] mm: node 1: \d+ MiB, \d+ MiB free$",
                            r"^\[info\] mm: numa: cpu 0 \(node 0\): 40 of 40 frames and a "
                            r"4-page run from node 0$",
                            r"^\[info\] mm: numa: cpu 2 \(node 1\): 40 of 40 frames and a "
                            r"4-page run from node 1$",
                            # Each AP's per-CPU block and stacks on its own node.
                            r"^\[info\] mm: numa: 3 APs' per-CPU blocks and stacks on their own "
                            r"node$"),
              smp="4", mem="512M",
              qemu_args=numa_args(2, 2, 256) + ("-numa", "dist,src=0,dst=1,val=21")),
    # The per-node counters as user space reads them: busybox cat of /proc/zoneinfo (one zone
    # per node, docs/user-space.md "Files"), on the two-node machine of acpi-numa.
    Case(name="acpi-numa-zoneinfo", smp="4", mem="512M",
         cmdline="qemu_exit init=/bin/busybox -- cat /proc/zoneinfo",
         qemu_args=numa_args(2, 2, 256) + ("-numa", "dist,src=0,dst=1,val=21"),
         expect=(r"^Node 0, zone   Normal$", r"^Node 1, zone   Normal$",
                 r"^  pages free     [1-9]\d*$", r"^        managed  [1-9]\d*$",
                 r"^      numa_hit     [1-9]\d*$", r"^      numa_local   [1-9]\d*$",
                 r"^      numa_foreign \d+$", init_exited("busybox")),
         forbid=NORMAL_FORBIDDEN, status=1),
    acpi_case("acpi-malformed-srat",
              (r"^\[error\] acpi: SRAT: SRAT at offset 0x58: entry of length 0",),
              qemu_args=("-acpitable",
                         "file=" + os.path.join(MALFORMED_TABLES, "srat-zero-length-entry.dat"))),
    # The kernel scheduler (kernel/threads), on by default: booted without `sched`, every online CPU
    # enters it; 256 threads sleeping, waking, yielding, taking mutexes and migrating; ping-pong
    # across CPUs; pinning; RT before fair; tick preemption. Every thread must finish with the
    # counters right.
    smp_case("sched-stress-smp2", "2",
             (r"^\[info\] sched: started on cpu 0 \(2 CPUs",
              r"^\[info\] sched: all 2 online CPUs entered the scheduler",
              r"^\[info\] sched stress: 256 threads x \d+ rounds on 2 CPUs .* 256 finished$"),
             cmdline="test=sched* qemu_exit"),
    smp_case("sched-stress-smp4", "4",
             (r"^\[info\] sched: started on cpu 0 \(4 CPUs",
              r"^\[info\] sched: all 4 online CPUs entered the scheduler",
              r"^\[info\] sched stress: 256 threads x \d+ rounds on 4 CPUs .* 256 finished$"),
             cmdline="test=sched* qemu_exit"),
    # FPU threads on a CPU without XSAVE (the other cases' CPU has it): the FXSAVE fallback.
    Case(name="fpu-fxsave-smp2", smp="2", cmdline="test=fpu* qemu_exit",
         qemu_args=("-cpu", "qemu64,-xsave"),
         expect=(TESTS_PASSED, r"^\[info\] fpu: FXSAVE \(no XSAVE\), 512-byte thread areas$"),
         forbid=NORMAL_FORBIDDEN, status=1, checks=(summary_passed,), timeout=60.0),
    # The framebuffer console at 1920x1080 (docs/console.md): the loader picks the console-out
    # GOP, the framebuffer is mapped WC through PA7, the scroll test reads its pixels back.
    Case(name="framebuffer-1080p-smp2", smp="2", cmdline="test=*framebuffer* qemu_exit",
         qemu_args=("-vga", "none", "-device", "VGA,xres=1920,yres=1080"),
         expect=(TESTS_PASSED,
                 r"^pleiades loader: framebuffer 1920x1080 .*GOP on the console-out handle$",
                 r"^\[info\] mm: PAT 0x107040600070406: PA7 write-combining",
                 r"^\[info\] console: 1920x1080 \(240x67 cells, 32 bpp\): .* lines/s"),
         forbid=NORMAL_FORBIDDEN, status=1, checks=(summary_passed,), timeout=180.0),
    # No GOP at all, and only a PixelBltOnly GOP (OVMF's virtio-gpu driver): the loader says
    # "serial only" on the firmware console, the kernel runs on serial.
    Case(name="framebuffer-no-gop", cmdline="test=mm_ qemu_exit", qemu_args=("-vga", "none"),
         expect=(TESTS_PASSED, r"^pleiades loader: no framebuffer \(no GOP\): serial only$",
                 r"^\[info\] console: no framebuffer$"),
         forbid=NORMAL_FORBIDDEN, status=1, checks=(summary_passed,), timeout=120.0),
    Case(name="framebuffer-bltonly", cmdline="test=mm_ qemu_exit",
         qemu_args=("-vga", "none", "-device", "virtio-gpu-pci"),
         expect=(TESTS_PASSED, r"^pleiades loader: no linear framebuffer \(every GOP is "
                 r"PixelBltOnly\): serial only$", r"^\[info\] console: no framebuffer$"),
         forbid=NORMAL_FORBIDDEN, status=1, checks=(summary_passed,), timeout=120.0),
    kernel_tests("test-mem128M", mem="128M"),
    kernel_tests("test-mem4G", mem="4G"),
    bad_kernel("kernel-truncated", "truncate-segment", r"past end of file|truncated|smaller than"),
    bad_kernel("kernel-truncated-header", "truncate-header", r"smaller than an ELF64 header"),
    bad_kernel("kernel-bad-magic", "bad-magic", r"bad magic"),
    bad_kernel("kernel-bad-phoff", "phoff-past-end", r"e_phoff|program header"),
    bad_kernel("kernel-phoff-overflow", "phoff-overflow", r"e_phoff|program header"),
    # Cross-CPU services (kernel/cpus/ipi, docs/locking.md "Kernel: cross-CPU services").
    kernel_tests("ipi-tests-smp2", smp="2", cmdline="test=ipi_ qemu_exit", timeout=60.0),
    kernel_tests("ipi-tests-smp4", smp="4", cmdline="test=ipi_ qemu_exit", timeout=60.0),
    kernel_tests("lock-torture-smp4", smp="4", cmdline="test=lock_ qemu_exit lockstat",
                 timeout=60.0),
    # A panic on an AP stops every other CPU (the boot CPU spins with interrupts off: NMI) and
    # one report lists them.
    Case(name="panic-on-ap-smp4", smp="4", cmdline="panic_on_ap=2 qemu_exit",
         expect=(r"^PANIC: test: panic_on_ap: cpu 2 panics on purpose",
                 r"^panic: cpu 0 stopped by NMI at rip 0x[0-9a-f]+ .*provoke_panic_on_ap",
                 r"^panic: cpu 1 stopped by (IPI|NMI) at rip",
                 r"^panic: cpu 3 stopped by (IPI|NMI) at rip"),
         forbid=ALWAYS_FORBIDDEN + (r"did not stop", r"cpu 0 was not stopped"), status=3,
         timeout=60.0),
    # Lock-order inversion: the panic names both sites of this acquisition and of the edge.
    Case(name="lockdep-inversion-smp2", smp="2", cmdline="lockdep_test=inversion qemu_exit",
         expect=(r"^PANIC: lockdep: lock order cycle on cpu 0 .*held inversion-test-b .* at "
                 r"\S*provocations\.cc:\d+; taking inversion-test-a .* at \S*provocations\.cc:\d+; "
                 r"earlier inversion-test-a at \S*provocations\.cc:\d+ then inversion-test-b at "
                 r"\S*provocations\.cc:\d+",
                 r"^panic: cpu 1 stopped by IPI",
                 # The main thread's stack (a kernel thread's, in the guarded stack region) is
                 # walked down to the thread trampoline.
                 r"^\s+#\d+ 0x[0-9a-f]{16} _ZN5kcpus22provoke_lock_inversionEv\+",
                 r"^\s+#\d+ 0x[0-9a-f]{16} pleiades_thread_trampoline\+"),
         forbid=ALWAYS_FORBIDDEN, status=3, timeout=60.0),
    # The stall watchdog: an AP with interrupts off for 5 s is reported after the 2 s bound.
    Case(name="watchdog-irqoff-smp2", smp="2", cmdline="stall=irqoff poweroff qemu_exit",
         expect=(r"^\[error\] watchdog: cpu 1 has had interrupts off for \d+ ms",
                 r"^\[info\] watchdog test: stall of cpu 1 reported"),
         forbid=NORMAL_FORBIDDEN, status=0, timeout=60.0),
    # A lock held past the bound: the spinning CPU's report names the lock and its holder.
    Case(name="watchdog-lock-smp4", smp="4", cmdline="stall=lock qemu_exit",
         expect=(r"^PANIC: lockdep: spin stall on cpu 0 \(holder cpu 0x3\).*taking stall-test",
                 r"^panic: cpu 3 stopped by NMI"),
         forbid=ALWAYS_FORBIDDEN, status=3, timeout=60.0),
    # `bench`: the IPI benchmarks (kernel/cpus/ipi/ipi_bench.cc), then the scheduler's (kernel/threads/sched_bench.cc).
    Case(name="bench-smp2", smp="2", cmdline="bench qemu_exit",
         expect=(r"^bench: done",
                 r"^sched_bench: context switch \(2 threads yielding on cpu 1\): \d+ ns per switch",
                 r"^sched_bench: wake-up latency same CPU \(cpu 1 wakes cpu 1\): median \d+ ns",
                 r"^sched_bench: wake-up latency cross CPU \(cpu 0 wakes cpu 1\): median \d+ ns",
                 r"^sched_bench: parallel work \(\d+ units of \d+ iterations\), 1 thread: \d+ ms",
                 r"^sched_bench: parallel work, 2 threads on 2 CPUs: \d+ ms, speed-up \d+\.\d\d",
                 r"^sched_bench: parallel work, 4 threads on 2 CPUs: \d+ ms, speed-up \d+\.\d\d",
                 r"^sched_bench: done"),
         forbid=NORMAL_FORBIDDEN + (r"sched_bench: FAILED",), status=1, timeout=120.0),
    deliberate_fault("fault-page", "page", "#PF"),
    deliberate_fault("fault-ud", "ud", "#UD"),
    # The firmware leaves xAPIC on; the kernel switches every CPU to x2APIC (MSR registers).
    x2apic_case("x2apic-smp4", "4", (r"^\[info\] apic: x2APIC \(firmware state: xAPIC, ",
                                     smp_online(4, 4)), ()),
    x2apic_case("x2apic-id-above-255", "2,maxcpus=258,sockets=2,cores=129,threads=1",
                (r"^\[info\] apic: x2APIC \(firmware state: x2APIC on, ",
                 r"^\[info\] acpi:   cpu 2 apic 256 uid \d+ x2apic$",
                 smp_online(3, 3),
                 r"^\[info\] smp: online \(cpu:apic\): 0:\d+ 1:\d+ 2:256$",
                 r"^\[info\] smp: 3 CPUs online; tsc \d+ MHz, lapic timer [1-9]\d* MHz"),
                X2APIC_ID_ABOVE_255),
]
