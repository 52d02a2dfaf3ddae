"""QEMU boot tests: boot the image once per case (tests/boot/cases.py) and judge the serial log.

Python 3 standard library only. Each boot goes through scripts/run (the one place that knows
how to start QEMU under OVMF) with --no-deps --no-build --raw-status, its stdout and stderr
captured to build/boot-tests/NAME.log. The harness reads the log while QEMU runs, stops QEMU
at the case's deadline (or once everything expected was seen, for cases without an exit
status), and then checks expected and forbidden patterns and the exit status.
"""

import argparse
import concurrent.futures
import dataclasses
import fnmatch
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

from keyboard import Keyboard, KeyboardError, type_keys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSI_ESCAPE = re.compile(r"\x1b(\[[0-9;?=]*[A-Za-z]|[()][A-Za-z0-9]|[=>])")
TAIL_LINES = 30
POLL_SECONDS = 0.2
# OVMF starts its built-in shell only after every boot option (our disk included) failed.
FIRMWARE_GAVE_UP = r'^BdsDxe: (loading|starting) Boot[0-9A-F]+ "EFI Internal Shell"'
# Which QEMU boots a case -> the scripts/run options that choose it. "qemu10" is QEMU 10 from
# bookworm-backports, which scripts/deps unpacks into BUILD/qemu10: it emulates x2APIC under TCG.
QEMUS = {"system": (), "qemu10": ("--qemu10",)}


@dataclasses.dataclass(frozen=True)
class Case:
    """One boot. See cases.py for the meaning of the fields."""
    name: str
    cmdline: str = "test qemu_exit"
    machine: str = "q35"
    smp: str = "1"
    mem: str = "512M"
    kernel: str = "good"  # a key of MUTATIONS
    initramfs: str = "good"  # a key of INITRAMFS_MUTATIONS, or "none" for no initramfs
    archive: str = "default"  # which built initramfs (a key of INITRAMFS_ARCHIVES) is mutated
    expect: tuple = ()
    forbid: tuple = ()
    status: int | None = 1  # raw QEMU exit status; None: stop QEMU once `expect` is all seen
    checks: tuple = ()  # functions(text) -> error string or None
    timeout: float = 120.0  # seconds, generous for TCG
    grace: float = 2.0  # for status=None: keep reading this long after the last match
    qemu_args: tuple = ()  # extra QEMU arguments, after --
    qemu: str = "system"  # a key of QEMUS
    # Output after which waiting longer is pointless: stop QEMU and judge the log right away.
    give_up: tuple = (FIRMWARE_GAVE_UP,)
    # Keystrokes: (regex, keys) pairs, in order. Each is sent once its regex matches the log
    # after where the previous one matched: text to QEMU's serial input, a Keyboard
    # (keyboard.py) to the emulated PS/2 keyboard through the QEMU monitor.
    interact: tuple = ()

    def uses_keyboard(self):
        return any(isinstance(keys, Keyboard) for _, keys in self.interact)


def summary_passed(text):
    """The last `N passed, M failed` line has N > 0 and M == 0."""
    lines = re.findall(r"^(\d+) passed, (\d+) failed", text, re.MULTILINE)
    if not lines:
        return "no 'N passed, N failed' summary"
    passed, failed = (int(x) for x in lines[-1])
    if failed:
        return f"{failed} in-kernel test(s) failed"
    if passed == 0:
        return "the kernel ran 0 tests"
    return None


# Kernel mutations: name -> function(bytes) -> bytes. Each must change the file, which is checked.
def _elf_header(data):
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("build/kernel/kernel.elf is not an ELF64 file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return phoff, phentsize, phnum


def _truncate_segment(data):
    """Cut the file in the middle of the PT_LOAD segment whose file data ends last."""
    phoff, phentsize, phnum = _elf_header(data)
    best = None
    for i in range(phnum):
        p_type, _, p_offset = struct.unpack_from("<IIQ", data, phoff + i * phentsize)
        p_filesz, = struct.unpack_from("<Q", data, phoff + i * phentsize + 32)
        if p_type == 1 and p_filesz > 0 and (best is None or p_offset + p_filesz > sum(best)):
            best = (p_offset, p_filesz)
    if best is None:
        raise ValueError("kernel.elf has no PT_LOAD segment with file data")
    return data[:best[0] + best[1] // 2]


def _set_phoff(data, value):
    out = bytearray(data)
    struct.pack_into("<Q", out, 0x20, value)
    return bytes(out)


MUTATIONS = {
    "good": lambda data: data,
    "truncate-segment": _truncate_segment,
    "truncate-header": lambda data: data[:40],
    "bad-magic": lambda data: b"\x7fELX" + data[4:],
    "phoff-past-end": lambda data: (_elf_header(data), _set_phoff(data, len(data) + 0x1000))[1],
    "phoff-overflow": lambda data: (_elf_header(data), _set_phoff(data, 2**64 - 0x10))[1],
}


def _newc_names(data):
    """(offset, name) of every entry name in a cpio newc archive, up to TRAILER!!!: the names
    themselves, not bytes that happen to look like one inside a file."""
    offset = 0
    while offset + 110 <= len(data):
        if data[offset:offset + 6] != b"070701":
            raise ValueError(f"initramfs.cpio: no newc header at offset {offset}")
        try:
            file_size = int(data[offset + 54:offset + 62], 16)
            name_size = int(data[offset + 94:offset + 102], 16)
        except ValueError:
            raise ValueError(f"initramfs.cpio: bad header fields at offset {offset}") from None
        name = data[offset + 110:offset + 110 + name_size]
        if name == b"TRAILER!!!\0":
            return
        yield offset + 110, name
        data_start = (offset + 110 + name_size + 3) & ~3
        offset = (data_start + file_size + 3) & ~3
    raise ValueError("initramfs.cpio: no TRAILER!!! entry")


def _rename_entry(data, old, new):
    """The archive with entry name `old` replaced by `new` (same length, NUL included)."""
    hits = [offset for offset, name in _newc_names(data) if name == old]
    if len(old) != len(new) or len(hits) != 1:
        raise ValueError(f"initramfs.cpio has no single entry named {old!r}")
    return data[:hits[0]] + new + data[hits[0] + len(new):]


# Initramfs mutations (of build/initramfs.cpio, which GNU cpio wrote): name -> function(bytes)
# -> bytes. Each must change the file, which is checked.
INITRAMFS_MUTATIONS = {
    "good": lambda data: data,
    # Cut in the middle: a header or a name or data runs past the end.
    "truncated": lambda data: data[: len(data) // 2],
    "bad-magic": lambda data: b"070707" + data[6:],
    # An entry that would escape the root: "etc/motd" becomes "../motdx".
    "dotdot": lambda data: _rename_entry(data, b"etc/motd\0", b"../motdx\0"),
}


# The initramfs archives the build writes (kernel/fs/CMakeLists.txt), by Case.archive.
INITRAMFS_ARCHIVES = {
    "default": "initramfs.cpio",  # initramfs/root/ + /bin/hello + /bin/busybox
    "test": "initramfs-test.cpio",  # the same + the user test programs in /tests (tests/user)
}


@dataclasses.dataclass
class Result:
    name: str
    passed: bool
    seconds: float
    reason: str = ""
    log: str = ""


def clean(raw):
    """Serial bytes -> text lines: no ANSI escapes, no carriage returns."""
    text = raw.decode("utf-8", errors="replace")
    return ANSI_ESCAPE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def tail(text, n=TAIL_LINES):
    return [line for line in text.splitlines() if line.strip()][-n:]


class Runner:
    def __init__(self, build_dir):
        self.build_dir = build_dir
        self.out_dir = os.path.join(build_dir, "boot-tests")
        self.kernel = os.path.join(build_dir, "kernel", "kernel.elf")
        self.loader = os.path.join(build_dir, "efi", "BOOTX64.EFI")
        self.archives = {name: os.path.join(build_dir, file)
                         for name, file in INITRAMFS_ARCHIVES.items()}
        self.lock = threading.Lock()
        self.children = set()
        self.stopping = False

    def kill_all(self):
        """Stop every QEMU still running (Ctrl-C, or a fatal error in the harness)."""
        with self.lock:
            self.stopping = True
            children = list(self.children)
        for proc in children:
            _kill_group(proc)

    @staticmethod
    def write_mutation(source, mutations, name, workdir, file_name):
        """`source` changed by mutations[name], written to workdir/file_name; its path."""
        with open(source, "rb") as f:
            data = f.read()
        mutated = mutations[name](data)
        if mutated == data:
            raise ValueError(f"mutation {name} left {os.path.basename(source)} unchanged")
        path = os.path.join(workdir, file_name)
        with open(path, "wb") as f:
            f.write(mutated)
        return path

    def prepare_kernel(self, case, workdir):
        if case.kernel == "good":
            return self.kernel
        return self.write_mutation(self.kernel, MUTATIONS, case.kernel, workdir,
                                   f"kernel-{case.kernel}.elf")

    def prepare_initramfs(self, case, workdir):
        """The initramfs file for `case` (its archive, mutated), or None for none."""
        if case.initramfs == "none":
            return None
        if case.initramfs not in INITRAMFS_MUTATIONS:
            raise ValueError(f"unknown initramfs mutation {case.initramfs!r}")
        source = self.archives[case.archive]
        if not os.path.isfile(source):
            raise ValueError(f"{os.path.relpath(source, REPO)} is missing (build it first)")
        if case.initramfs == "good":
            return source
        return self.write_mutation(source, INITRAMFS_MUTATIONS, case.initramfs, workdir,
                                   f"initramfs-{case.archive}-{case.initramfs}.cpio")

    def run(self, case):
        start = time.monotonic()
        log_path = os.path.join(self.out_dir, case.name + ".log")
        workdir = os.path.join(self.out_dir, case.name)
        os.makedirs(workdir, exist_ok=True)
        try:
            for path in (self.kernel, self.loader):
                if not os.path.isfile(path):
                    raise ValueError(f"{os.path.relpath(path, REPO)} is missing (build it first)")
            if case.archive not in INITRAMFS_ARCHIVES:
                raise ValueError(f"unknown initramfs archive {case.archive!r} "
                                 f"(one of {', '.join(INITRAMFS_ARCHIVES)})")
            if case.kernel not in MUTATIONS:
                raise ValueError(f"unknown kernel mutation {case.kernel!r}")
            if case.qemu not in QEMUS:
                raise ValueError(f"unknown QEMU {case.qemu!r} (one of {', '.join(QEMUS)})")
            kernel = self.prepare_kernel(case, workdir)
            initramfs = self.prepare_initramfs(case, workdir)
        except (OSError, ValueError, struct.error) as e:
            with open(log_path, "w") as f:
                f.write(f"harness: {e}\n")
            return Result(case.name, False, time.monotonic() - start, f"setup: {e}", log_path)

        # The monitor's socket for Keyboard steps, in a directory of its own under /tmp: a Unix
        # socket path has at most 107 bytes, which a build directory's path could exceed.
        monitor_dir = tempfile.mkdtemp(prefix="pleiades-monitor-") if case.uses_keyboard() else None
        monitor = os.path.join(monitor_dir, "monitor.sock") if monitor_dir else None
        cmd = self.command(case, workdir, kernel, initramfs, monitor)
        env = dict(os.environ, PLEIADES_BUILD=self.build_dir)
        env.pop("DISPLAY", None)  # never open a window in a test
        with open(log_path, "wb") as log:
            log.write(("harness: " + " ".join(cmd) + "\n").encode())
            log.flush()
            # Own session: the harness alone decides when QEMU stops, and kills the whole group.
            stdin = subprocess.PIPE if case.interact else subprocess.DEVNULL
            proc = subprocess.Popen(cmd, stdin=stdin, stdout=log,
                                    stderr=subprocess.STDOUT, cwd=REPO, env=env,
                                    start_new_session=True)
        with self.lock:
            if self.stopping:
                _kill_group(proc)
            self.children.add(proc)
        try:
            outcome = self.watch(case, proc, log_path, start, monitor)
        finally:
            _kill_group(proc)
            with self.lock:
                self.children.discard(proc)
            if monitor_dir:
                shutil.rmtree(monitor_dir, ignore_errors=True)
        return self.judge(case, outcome, log_path, time.monotonic() - start)

    @staticmethod
    def command(case, workdir, kernel, initramfs=None, monitor=None):
        """The scripts/run command line that boots `case` (QEMU arguments after --), with the
        QEMU monitor on the Unix socket `monitor` when given."""
        initramfs_args = ["--initramfs", initramfs] if initramfs else ["--no-initramfs"]
        cmd = [os.path.join(REPO, "scripts", "run"), "--no-deps", "--no-build", "--raw-status",
               "--workdir", workdir, "--kernel", kernel, *initramfs_args, "--machine", case.machine,
               "--smp", case.smp, "--mem", case.mem, "--cmdline", case.cmdline,
               *QEMUS[case.qemu]]
        monitor_args = ("-monitor", f"unix:{monitor},server,nowait") if monitor else ()
        if case.qemu_args or monitor_args:
            cmd += ["--", *case.qemu_args, *monitor_args]
        return cmd

    def watch(self, case, proc, log_path, start, monitor=None):
        """Wait for QEMU to end, the deadline, or (status=None) all expected patterns + grace.
        Returns (how, status): how is 'exited' (status is QEMU's), 'timeout', 'matched',
        'gave up' (the firmware moved on to its shell), 'interrupted' or 'keyboard' (status
        says what went wrong typing on the keyboard through `monitor`)."""
        deadline = start + case.timeout
        matched_at = None
        step, cursor = 0, 0
        while True:
            status = proc.poll()
            if status is not None:
                return "exited", status
            if self.stopping:
                return "interrupted", None
            now = time.monotonic()
            if now >= deadline:
                return "timeout", None
            text = _read_clean(log_path)
            try:
                step, cursor = _type_keys(case, proc, text, step, cursor, monitor)
            except KeyboardError as e:
                if proc.poll() is not None:
                    continue  # QEMU has gone: reported as its exit
                return "keyboard", str(e)
            gave_up = any(re.search(p, text, re.MULTILINE) for p in case.give_up)
            if case.status is None and all(re.search(p, text, re.MULTILINE) for p in case.expect):
                # Everything expected was seen: wait out the grace period (output that must
                # not follow), unless the firmware already moved on to its shell.
                matched_at = matched_at or now
                if gave_up or now - matched_at >= case.grace:
                    return "matched", None
            elif gave_up:
                return "gave up", None
            time.sleep(POLL_SECONDS)

    def judge(self, case, outcome, log_path, seconds):
        how, status = outcome
        text = _read_clean(log_path)
        problems = []
        if how == "interrupted":
            problems.append("interrupted")
        if how == "keyboard":
            problems.append(f"keyboard: {status}")
        if how == "timeout":
            problems.append(f"timeout after {case.timeout:g} s")
        for pattern in case.expect:
            if not re.search(pattern, text, re.MULTILINE):
                problems.append(f"missing /{pattern}/")
        for pattern in case.forbid:
            m = re.search(pattern, text, re.MULTILINE)
            if m:
                line = text[text.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
                problems.append(f"forbidden /{pattern}/ in: {line.strip()[:120]}")
        for check in case.checks:
            error = check(text)
            if error:
                problems.append(error)
        if case.status is not None and how == "exited" and status != case.status:
            problems.append(f"QEMU exit status {status}, expected {case.status}"
                            + _status_meaning(status))
        if how == "gave up":
            problems.append("the firmware gave up booting the disk")
        if case.status is None and how == "exited":
            problems.append(f"QEMU exited (status {status}) before the expected output")
        return Result(case.name, not problems, seconds, "; ".join(problems), log_path)


def _type_keys(case, proc, text, step, cursor, monitor=None):
    """Sends the keystrokes of every interact step whose regex now matches the log after
    `cursor` (text to the serial port, a Keyboard through the monitor at `monitor`); returns
    the next step and cursor. Raises KeyboardError when the keyboard could not be typed on."""
    while step < len(case.interact):
        pattern, keys = case.interact[step]
        m = re.compile(pattern, re.MULTILINE).search(text, cursor)
        if not m:
            break
        if isinstance(keys, Keyboard):
            type_keys(monitor, keys)
            step, cursor = step + 1, m.end()
            continue
        try:
            proc.stdin.write(keys.encode())
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return len(case.interact), cursor  # QEMU has gone: judge() reports the rest
        step, cursor = step + 1, m.end()
    return step, cursor


def _status_meaning(status):
    return {0: " (guest reset or powered off)", 1: " (kernel reported success)",
            3: " (kernel reported failure or panic)", 130: " (interrupted)",
            2: " (scripts/run or QEMU error)"}.get(status, "")


def _read_clean(path):
    with open(path, "rb") as f:
        return clean(f.read())


def _kill_group(proc):
    """SIGTERM the process group (scripts/run and QEMU), SIGKILL after 5 s."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def report(result, out):
    if result.passed:
        print(f"[PASS] {result.name} ({result.seconds:.1f} s)", file=out, flush=True)
        return
    print(f"[FAIL] {result.name}: {result.reason} ({result.seconds:.1f} s)", file=out)
    print(f"    log: {os.path.relpath(result.log, REPO)}; last {TAIL_LINES} lines:", file=out)
    for line in tail(_read_clean(result.log)):
        print(f"    | {line}", file=out)
    out.flush()


def main(cases_table, argv=None):
    """Command line entry; cases_table is cases.CASES (boot_tests.py passes it)."""

    parser = argparse.ArgumentParser(
        description="Boot Pleiades under QEMU/OVMF once per case and check the serial log.")
    parser.add_argument("patterns", nargs="*", help="run only cases matching these globs")
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    parser.add_argument("-j", "--jobs", type=int, default=2, help="QEMUs at once (default 2)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--json", help="write {passed, failed, results} to this file")
    args = parser.parse_args(argv)

    cases = [c for c in cases_table
             if not args.patterns or any(fnmatch.fnmatch(c.name, p) for p in args.patterns)]
    if args.list:
        for c in cases:
            print(f"{c.name:28} machine={c.machine} smp={c.smp} mem={c.mem} "
                  f"kernel={c.kernel} initramfs={c.archive}/{c.initramfs} qemu={c.qemu} "
                  f"cmdline={c.cmdline!r} status={c.status}")
        return 0
    if not cases:
        print("boot tests: no case matches", file=sys.stderr)
        return 2
    names = [c.name for c in cases_table]
    if len(set(names)) != len(names):
        print("boot tests: duplicate case names in cases.py", file=sys.stderr)
        return 2

    def terminate(signum, frame):  # CI cancelling the job: clean up like Ctrl-C
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, terminate)

    runner = Runner(os.path.abspath(args.build_dir))
    os.makedirs(runner.out_dir, exist_ok=True)
    results = []
    # The heaviest boots (most CPUs) first, so they do not end up alone at the end.
    order = sorted(cases, key=lambda c: -int(c.smp.split(",")[0]))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        futures = [pool.submit(runner.run, c) for c in order]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            results.append(result)
            report(result, sys.stdout)
    except KeyboardInterrupt:
        runner.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        print("boot tests: interrupted", file=sys.stderr)
        return 130
    pool.shutdown(wait=True)

    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"passed": passed, "failed": failed,
                       "results": [dataclasses.asdict(r) for r in results]}, f, indent=1)
    print(f"boot tests: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
