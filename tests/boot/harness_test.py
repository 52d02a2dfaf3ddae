#!/usr/bin/env python3
"""Unit tests of the boot-test harness itself (no QEMU): log cleaning, the summary check,
kernel mutations and the verdicts. Run: python3 tests/boot/harness_test.py"""

import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cases  # noqa: E402
import harness  # noqa: E402


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

    def test_rename_needs_one_entry_of_that_name(self):
        with self.assertRaises(ValueError):
            harness.INITRAMFS_MUTATIONS["dotdot"](b"070701" + bytes(200))


if __name__ == "__main__":
    unittest.main()
