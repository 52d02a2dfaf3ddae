#!/usr/bin/env python3
"""Writes the malformed ACPI tables the QEMU boot tests inject with -acpitable (tests/boot/cases.py).

Each file is a whole table, header included, with a valid checksum, so only the defect named in
its file name is wrong. Run: python3 make_tables.py (writes beside this script).
"""
import os
import struct


def table(signature, revision, body):
    length = 36 + len(body)
    header = struct.pack("<4sIBB6s8sI4sI", signature, length, revision, 0, b"PLEIAD",
                         b"MALFORMD", 1, b"PLDS", 1)
    data = bytearray(header + body)
    data[9] = (-sum(data)) & 0xFF
    return bytes(data)


def srat(entries):
    # SRAT: 4 reserved bytes (must be 1) and 8 reserved bytes precede the entries (offset 48).
    return table(b"SRAT", 3, struct.pack("<IQ", 1, 0) + entries)


def memory_affinity(domain, base, length, flags=1):
    return struct.pack("<BBIHQQIIQ", 1, 40, domain, 0, base, length, 0, flags, 0)


TABLES = {
    # A good memory-affinity entry, then an entry of length 0 at offset 88: a parser that steps
    # by the length field would loop forever there.
    "srat-zero-length-entry.dat": srat(memory_affinity(0, 0, 1 << 30) + bytes([1, 0]) + bytes(38)),
}

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for name, data in TABLES.items():
        with open(os.path.join(here, name), "wb") as f:
            f.write(data)
