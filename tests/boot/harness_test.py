#!/usr/bin/env python3
"""Unit tests of the boot-test harness itself (no QEMU): log cleaning, the summary check,
kernel mutations, the initramfs archive choice, the TAP reader, typing through a (fake) QEMU
monitor and the verdicts.
Run: python3 tests/boot/harness_test.py"""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cases  # noqa: E402
import harness  # noqa: E402
import keyboard  # noqa: E402
import tap  # noqa: E402


def fake_elf(segments):
    """An ELF64 header + program headers; segments = [(p_type, p_offset, p_filesz)]."""
    phoff, phentsize = 64, 56
    header = bytearray(64)
    header[:5] = b"\x7fELF\x02"
    struct.pack_into("<Q", header, 0x20, phoff)
    struct.pack_into("<HH", header, 0x36, phentsize, len(segments))
    table = b"".join(struct.pack("<IIQQQQQQ", t, 5, off, 0, 0, size, size, 0x1000)
                     for t, off, size in segments)
    end = max(off + size for _, off, size in segments)
    body = header + table
    return bytes(body + b"\xcc" * (end - len(body)))


class CleanTest(unittest.TestCase):
    def test_ansi_and_carriage_returns_removed(self):
        raw = b"\x1b[2J\x1b[01;01H\x1b[=3hBdsDxe: x\r\n\x1b[1m\x1b[33mShell>\x1b[0m\r\n"
        self.assertEqual(harness.clean(raw), "BdsDxe: x\nShell>\n")


class SummaryTest(unittest.TestCase):
    def test_good(self):
        self.assertIsNone(harness.summary_passed("[PASS] a\n33 passed, 0 failed\n"))

    def test_failures_zero_tests_and_missing(self):
        self.assertIn("failed", harness.summary_passed("3 passed, 1 failed\n"))
        self.assertIn("0 tests", harness.summary_passed("0 passed, 0 failed, 2 skipped\n"))
        self.assertIn("no 'N passed", harness.summary_passed("booting\n"))

    def test_last_summary_wins(self):
        self.assertIsNotNone(harness.summary_passed("5 passed, 0 failed\n5 passed, 2 failed\n"))


class MutationTest(unittest.TestCase):
    def setUp(self):
        self.elf = fake_elf([(1, 0x1000, 0x800), (1, 0x2000, 0x400), (4, 0x100, 0x10)])

    def test_every_mutation_changes_the_file(self):
        for name, mutate in harness.MUTATIONS.items():
            if name != "good":
                self.assertNotEqual(mutate(self.elf), self.elf, name)

    def test_truncate_cuts_inside_the_last_load_segment(self):
        self.assertEqual(len(harness.MUTATIONS["truncate-segment"](self.elf)), 0x2000 + 0x200)

    def test_phoff_mutations(self):
        past = harness.MUTATIONS["phoff-past-end"](self.elf)
        self.assertGreater(struct.unpack_from("<Q", past, 0x20)[0], len(self.elf))
        wrap = harness.MUTATIONS["phoff-overflow"](self.elf)
        self.assertGreater(struct.unpack_from("<Q", wrap, 0x20)[0] + 56, 2**64)

    def test_not_elf_is_an_error(self):
        with self.assertRaises(ValueError):
            harness.MUTATIONS["truncate-segment"](b"MZ" + bytes(100))


class JudgeTest(unittest.TestCase):
    def judge(self, case, log, outcome):
        with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as f:
            f.write(log.encode())
        try:
            return harness.Runner("/nonexistent").judge(case, outcome, f.name, 1.0)
        finally:
            os.unlink(f.name)

    def test_kernel_tests_pass(self):
        r = self.judge(cases.kernel_tests("t"), "[info] x\r\n33 passed, 0 failed\r\n", ("exited", 1))
        self.assertTrue(r.passed, r.reason)

    def test_kernel_tests_fail_on_status_panic_and_timeout(self):
        case = cases.kernel_tests("t")
        self.assertIn("exit status 3", self.judge(case, "1 passed, 0 failed\n", ("exited", 3)).reason)
        r = self.judge(case, "1 passed, 0 failed\nPANIC: x\n", ("exited", 1))
        self.assertIn("forbidden /PANIC/", r.reason)
        self.assertIn("timeout after 120 s", self.judge(case, "", ("timeout", None)).reason)

    def test_bad_kernel_needs_the_reason_and_no_kernel_output(self):
        case = cases.bad_kernel("b", "bad-magic", "bad magic")
        ok = "pleiades loader: kernel.elf: not an ELF file (bad magic)\n"
        self.assertTrue(self.judge(case, ok, ("matched", None)).passed)
        self.assertFalse(self.judge(case, "pleiades loader: starting\n", ("gave up", None)).passed)
        r = self.judge(case, ok + "[info] pleiades: kernel entered\n", ("matched", None))
        self.assertIn("forbidden", r.reason)
        self.assertFalse(self.judge(case, ok, ("exited", 1)).passed)


class CommandTest(unittest.TestCase):
    def test_system_qemu_by_default(self):
        cmd = harness.Runner.command(cases.kernel_tests("t", smp="2"), "/w", "/k.elf")
        self.assertNotIn("--qemu10", cmd)
        self.assertEqual(cmd[cmd.index("--smp") + 1], "2")
        self.assertNotIn("--", cmd)

    def test_qemu10_chosen_before_the_qemu_arguments(self):
        case = cases.kernel_tests("t", qemu="qemu10", qemu_args=("-cpu", "max,+x2apic"))
        cmd = harness.Runner.command(case, "/w", "/k.elf")
        self.assertLess(cmd.index("--qemu10"), cmd.index("--"))
        self.assertEqual(cmd[cmd.index("--"):], ["--", "-cpu", "max,+x2apic"])

    def test_initramfs_given_or_left_out(self):
        cmd = harness.Runner.command(cases.kernel_tests("t"), "/w", "/k.elf", "/i.cpio")
        self.assertEqual(cmd[cmd.index("--initramfs") + 1], "/i.cpio")
        cmd = harness.Runner.command(cases.kernel_tests("t"), "/w", "/k.elf", None)
        self.assertIn("--no-initramfs", cmd)
        self.assertNotIn("--initramfs", cmd)

    def test_archive_chooses_the_built_initramfs(self):
        with tempfile.TemporaryDirectory() as build:
            for name, file in harness.INITRAMFS_ARCHIVES.items():
                with open(os.path.join(build, file), "wb") as f:
                    f.write(name.encode())
            runner = harness.Runner(build)
            test = runner.prepare_initramfs(harness.Case(name="t", archive="test"), build)
            self.assertEqual(test, os.path.join(build, "initramfs-test.cpio"))
            default = runner.prepare_initramfs(harness.Case(name="t"), build)
            self.assertEqual(default, os.path.join(build, "initramfs.cpio"))
            none = harness.Case(name="t", archive="test", initramfs="none")
            self.assertIsNone(runner.prepare_initramfs(none, build))

    def test_mutation_applies_to_the_chosen_archive(self):
        with tempfile.TemporaryDirectory() as build:
            for file in harness.INITRAMFS_ARCHIVES.values():
                with open(os.path.join(build, file), "wb") as f:
                    f.write(file.encode() * 4)
            case = harness.Case(name="t", archive="test", initramfs="truncated")
            path = harness.Runner(build).prepare_initramfs(case, build)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), b"initramfs-test.cpio" * 2)

    def test_missing_or_unknown_archive_is_a_setup_failure(self):
        with tempfile.TemporaryDirectory() as build:
            for path in ("kernel/kernel.elf", "efi/BOOTX64.EFI", "initramfs.cpio"):
                os.makedirs(os.path.join(build, os.path.dirname(path)), exist_ok=True)
                with open(os.path.join(build, path), "wb") as f:
                    f.write(b"x")
            runner = harness.Runner(build)
            r = runner.run(harness.Case(name="t", archive="test"))
            self.assertFalse(r.passed)
            self.assertIn("initramfs-test.cpio is missing", r.reason)
            r = runner.run(harness.Case(name="t", archive="tests"))
            self.assertIn("unknown initramfs archive 'tests'", r.reason)

    def test_unknown_qemu_is_a_setup_failure(self):
        with tempfile.TemporaryDirectory() as build:
            for path in ("kernel/kernel.elf", "efi/BOOTX64.EFI", "initramfs.cpio"):
                os.makedirs(os.path.join(build, os.path.dirname(path)), exist_ok=True)
                with open(os.path.join(build, path), "wb") as f:
                    f.write(b"x")
            r = harness.Runner(build).run(harness.Case(name="t", qemu="qemu9"))
        self.assertFalse(r.passed)
        self.assertIn("unknown QEMU 'qemu9'", r.reason)


class InitramfsMutationTest(unittest.TestCase):
    """Each mutation changes an archive GNU cpio wrote (scripts/lib/mkinitramfs)."""

    def test_every_mutation_changes_a_real_archive(self):
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "i.cpio")
            subprocess.run([os.path.join(repo, "scripts", "lib", "mkinitramfs"), "--out", out,
                            "--tree", os.path.join(repo, "kernel", "fs", "initramfs", "root")],
                           check=True)
            with open(out, "rb") as f:
                data = f.read()
        self.assertEqual(data[:6], b"070701")
        for name, mutate in harness.INITRAMFS_MUTATIONS.items():
            if name != "good":
                self.assertNotEqual(mutate(data), data, name)
        self.assertIn(b"../motdx\0", harness.INITRAMFS_MUTATIONS["dotdot"](data))

    def test_rename_touches_the_entry_name_only(self):
        """A file whose bytes hold the name (busybox holds "/etc/motd") keeps them."""
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with tempfile.TemporaryDirectory() as tmp:
            lookalike = os.path.join(tmp, "prog")
            with open(lookalike, "wb") as f:
                f.write(b"\x7fELF /etc/motd\0 and etc/motd\0")
            out = os.path.join(tmp, "i.cpio")
            subprocess.run([os.path.join(repo, "scripts", "lib", "mkinitramfs"), "--out", out,
                            "--tree", os.path.join(repo, "kernel", "fs", "initramfs", "root"),
                            "--file", f"{lookalike}=/bin/prog:0755"], check=True)
            with open(out, "rb") as f:
                data = f.read()
        mutated = harness.INITRAMFS_MUTATIONS["dotdot"](data)
        self.assertEqual(len(mutated), len(data))
        self.assertEqual(mutated.count(b"../motdx\0"), 1)
        self.assertIn(b"\x7fELF /etc/motd\0 and etc/motd\0", mutated)
        names = [name for _, name in harness._newc_names(mutated)]
        self.assertIn(b"../motdx\0", names)
        self.assertNotIn(b"etc/motd\0", names)

    def test_rename_needs_one_entry_of_that_name(self):
        with self.assertRaises(ValueError):
            harness.INITRAMFS_MUTATIONS["dotdot"](b"070701" + bytes(200))


class TapTest(unittest.TestCase):
    """tests/boot/tap.py on what the user test programs print (tests/user/tap.c), with kernel
    lines in between."""

    GOOD = ("[info] initramfs: 20 entries\n"
            "1..3\n"
            "ok 1 - write to 1 returns the count\n"
            "# console_test: write to 1\n"
            "ok 2 - write of 0 bytes returns 0\n"
            "[info] sched: something\n"
            "ok 3 - write from NULL fails with EFAULT\n"
            "1..2\n"
            "ok 1 - getpid is positive (got 1)\n"
            "ok 2 - uname succeeds\n")

    def test_all_passed(self):
        report = tap.parse(harness.clean(self.GOOD.replace("\n", "\r\n").encode()))
        self.assertEqual(report.problems, [])
        self.assertEqual(len(report.streams), 2)
        self.assertEqual([p.name for p in report.passed],
                         ["write to 1 returns the count", "write of 0 bytes returns 0",
                          "write from NULL fails with EFAULT", "getpid is positive (got 1)",
                          "uname succeeds"])
        self.assertEqual(report.failed, [])
        self.assertIsNone(tap.check_passed(self.GOOD))

    def test_failed_point_is_named_with_its_diagnostic(self):
        text = self.GOOD.replace(
            "ok 2 - uname succeeds",
            "not ok 2 - uname into (void*)1 fails with EFAULT # got 0 (success) want -1 errno 14")
        report = tap.parse(text)
        self.assertEqual(len(report.failed), 1)
        failed = report.failed[0]
        self.assertEqual((failed.stream, failed.number, failed.ok), (1, 2, False))
        self.assertEqual(failed.name, "uname into (void*)1 fails with EFAULT")
        self.assertEqual(failed.comment, "got 0 (success) want -1 errno 14")
        error = tap.check_passed(text)
        self.assertIn("1 TAP test point(s) failed", error)
        self.assertIn("stream 1 #2: uname into (void*)1 fails with EFAULT # got 0", error)

    def test_program_that_died_half_way_fails(self):
        text = "1..4\nok 1 - a\nok 2 - b\n[error] user fault: SIGSEGV\n1..1\nok 1 - c\n"
        report = tap.parse(text)
        self.assertEqual(report.failed, [])
        self.assertEqual(report.problems, ["stream 0: planned 4 test points, saw 2"])
        self.assertIn("planned 4", tap.check_passed(text))

    def test_trailing_plan_closes_its_stream(self):
        report = tap.parse("ok 1 - a\nok 2 - b\n1..2\n1..1\nok 1 - c\n")
        self.assertEqual(report.problems, [])
        self.assertEqual([len(s.points) for s in report.streams], [2, 1])

    def test_points_without_plan_numbering_and_bail_out(self):
        self.assertEqual(tap.parse("ok 1 - a\n").problems,
                         ["stream 0: 1 test points without a plan"])
        self.assertEqual(tap.parse("1..2\nok 1 - a\nok 3 - b\n").problems,
                         ["stream 0: test point 3 where 2 was due"])
        report = tap.parse("1..2\nok 1 - a\nBail out! no memory\n")
        self.assertIn("stream 0: bailed out: no memory", report.problems)
        self.assertIn("stream 0: planned 2 test points, saw 1", report.problems)

    def test_todo_and_skip(self):
        report = tap.parse("1..3\nnot ok 1 - a # TODO later\nok 2 - b # skip no CPU 2\n"
                           "not ok 3 - c # todo\n")
        self.assertEqual(report.failed, [])
        self.assertEqual([p.directive for p in report.points], ["TODO", "SKIP", "TODO"])
        self.assertIsNone(tap.check_passed("1..1\nnot ok 1 - a # TODO later\n"))

    def test_no_tap_and_lookalikes(self):
        self.assertEqual(tap.check_passed("[info] boot complete\n"),
                         "no TAP test points in the log")
        self.assertEqual(tap.parse("okay\nnot okay\n[info] ok 1\n1..x\n").points, [])

    def test_real_program_output(self):
        """A test program's own output, when the build has it ($PLEIADES_BUILD or build/, then
        user/console_test): what it prints on the host's Linux is one complete, passing stream."""
        build = os.environ.get("PLEIADES_BUILD", os.path.join(harness.REPO, "build"))
        program = os.path.join(build, "user", "console_test")
        if not os.access(program, os.X_OK):
            self.skipTest(f"{program} is not built")
        out = subprocess.run([program], capture_output=True, text=True, check=False)
        report = tap.parse(out.stdout)
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertEqual((report.problems, report.failed, len(report.streams)), ([], [], 1))
        self.assertEqual(len(report.points), report.streams[0].plan)


class FakeMonitor:
    """A QEMU human monitor on a Unix socket, for one connection: greets, echoes each command
    line as QEMU's readline does (ending in CR LF), answers "invalid parameter: KEY" to a
    `sendkey` of a key in `refuse`, and prompts. The commands it got are in `commands`."""

    def __init__(self, path, refuse=()):
        self.refuse, self.commands = set(refuse), []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.server.settimeout(10)  # a test that never connects fails, not hangs
        self.thread = threading.Thread(target=self.serve)
        self.thread.start()

    def serve(self):
        try:
            conn, _ = self.server.accept()
        except socket.timeout:
            return
        with conn:
            conn.settimeout(10)
            conn.sendall(b"QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ")
            data = b""
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
                while b"\n" in data:
                    line, data = data.split(b"\n", 1)
                    self.commands.append(line.decode())
                    key = line.decode().split()[1]
                    reply = f"invalid parameter: {key}\r\n" if key in self.refuse else ""
                    conn.sendall(b"s\x1b[K\x1b[D" + line + b"\x1b[K\r\n" + reply.encode()
                                 + b"(qemu) ")

    def close(self):
        self.thread.join()
        self.server.close()


class KeyboardTest(unittest.TestCase):
    def test_us_layout_keys(self):
        keys = keyboard.key_names(keyboard.Keyboard(("aZ9 !~|'\r", keyboard.Key("ctrl-c"))))
        self.assertEqual(keys, ["a", "shift-z", "9", "spc", "shift-1", "shift-grave_accent",
                                "shift-backslash", "apostrophe", "ret", "ctrl-c"])
        with self.assertRaises(ValueError):
            keyboard.key_names(keyboard.Keyboard(("caf\u00e9",)))

    def test_every_printable_ascii_character_has_a_key(self):
        text = "".join(chr(c) for c in range(0x20, 0x7f))
        self.assertEqual(len(keyboard.key_names(keyboard.Keyboard((text,)))), len(text))

    def test_reply_is_what_follows_the_echo(self):
        echo = b"s\x1b[K\x1b[Dsendkey nosuch\x1b[K\r\n"
        self.assertEqual(keyboard.command_reply(echo + b"(qemu) "), "")
        self.assertEqual(keyboard.command_reply(echo + b"invalid parameter: nosuch\r\n(qemu) "),
                         "invalid parameter: nosuch")

    def test_types_one_sendkey_a_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            monitor = FakeMonitor(os.path.join(tmp, "m.sock"))
            keyboard.type_keys(os.path.join(tmp, "m.sock"),
                               keyboard.Keyboard(("A", keyboard.Key("ctrl-c"))))
            monitor.close()
        hold = keyboard.KEY_HOLD_MS
        self.assertEqual(monitor.commands, [f"sendkey shift-a {hold}", f"sendkey ctrl-c {hold}"])

    def test_refused_key_and_missing_monitor_are_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.sock")
            monitor = FakeMonitor(path, refuse={"b"})
            with self.assertRaisesRegex(keyboard.KeyboardError,
                                        "refused 'sendkey b .*': invalid parameter: b"):
                keyboard.type_keys(path, keyboard.Keyboard(("abc",)))
            monitor.close()
            self.assertEqual(len(monitor.commands), 2)  # nothing after the refused key
            with self.assertRaisesRegex(keyboard.KeyboardError, "nowhere.sock"):
                keyboard.type_keys(os.path.join(tmp, "nowhere.sock"), keyboard.Keyboard(("a",)))

    def test_monitor_on_its_socket_after_the_qemu_arguments(self):
        case = cases.keyboard_case("k", "2")
        self.assertTrue(case.uses_keyboard())
        cmd = harness.Runner.command(case, "/w", "/k.elf", None, "/tmp/m/monitor.sock")
        self.assertEqual(cmd[cmd.index("--"):],
                         ["--", "-monitor", "unix:/tmp/m/monitor.sock,server,nowait"])
        serial = cases.busybox_typeahead("t", "2")
        self.assertFalse(serial.uses_keyboard())
        self.assertNotIn("--", harness.Runner.command(serial, "/w", "/k.elf"))



if __name__ == "__main__":
    unittest.main()
