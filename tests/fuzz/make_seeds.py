#!/usr/bin/env python3
"""Writes the synthetic part of the ACPI fuzz seed corpus (tests/data/fuzz/acpi-corpus/syn-*).

The real MADTs (real-*.bin) are copies of ../shared/acpi-tables/madt/*.bin. Synthetic seeds give
libFuzzer a start on every entry point: one table of each kind, and whole "memory images" with
an RSDP at offset 0 (the fuzzer maps the input at physical 0x1000) pointing at an XSDT or RSDT
whose entries point at tables later in the same input. Run: tests/fuzz/make_seeds.py
"""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fuzz", "acpi-corpus")
BASE = 0x1000


def checksum_fix(b, at):
    b[at] = 0
    b[at] = (-sum(b)) & 0xFF
    return bytes(b)


def table(sig, rev, body):
    b = bytearray(sig + struct.pack("<IBB", 36 + len(body), rev, 0) + b"PLEIADTESTTBL " +
                  struct.pack("<I", 1) + b"PLDS" + struct.pack("<I", 1) + body)
    return checksum_fix(b, 9)


def madt(rev=5):
    e = b""
    e += struct.pack("<BBBBI", 0, 8, 0, 0, 1)
    e += struct.pack("<BBBBI", 0, 8, 1, 1, 2)
    e += struct.pack("<BBBBI", 0, 8, 2, 0xFF, 0)
    e += struct.pack("<BBBBII", 1, 12, 2, 0, 0xFEC00000, 0)
    e += struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0)
    e += struct.pack("<BBBBIH", 2, 10, 0, 9, 9, 0xD)
    e += struct.pack("<BBHI", 3, 8, 5, 23)
    e += struct.pack("<BBBHB", 4, 6, 0xFF, 5, 1)
    e += struct.pack("<BBHQ", 5, 12, 0, 0xFEE00000)
    e += struct.pack("<BBHIII", 9, 16, 0, 0x100, 1, 5)
    e += struct.pack("<BBHIBBBB", 0xA, 12, 0xD, 0xFFFFFFFF, 1, 0, 0, 0)
    e += struct.pack("<BBHIQ", 0x10, 16, 1, 0, 0x5000)
    e += struct.pack("<BB", 0x7F, 4) + b"\0\0"
    return table(b"APIC", rev, struct.pack("<II", 0xFEE00000, 1) + e)


def srat():
    e = struct.pack("<BBBBIBBBBI", 0, 16, 0, 0, 1, 0, 0, 0, 0, 0)
    e += struct.pack("<BBIHIIIIIIQ", 1, 40, 0, 0, 0, 0, 0x80000000, 0, 0, 1, 0)
    e += struct.pack("<BBHIIIII", 2, 24, 0, 1, 0x100, 1, 0, 0)
    return table(b"SRAT", 3, struct.pack("<IQ", 1, 0) + e)


def hpet():
    return table(b"HPET", 1, struct.pack("<IBBBBQBHB", 0x8086A201, 0, 64, 0, 0, 0xFED00000, 0, 0x80, 0))


def fadt(length):
    body = bytearray(276 - 36)
    struct.pack_into("<II", body, 0, 0x7000, 0x8000)
    struct.pack_into("<I", body, 76 - 36, 0x608)
    body[91 - 36] = 4
    struct.pack_into("<H", body, 109 - 36, 3)
    struct.pack_into("<I", body, 112 - 36, (1 << 8) | (1 << 10))
    struct.pack_into("<BBBBQ", body, 116 - 36, 1, 8, 0, 1, 0xCF9)
    body[128 - 36] = 6
    struct.pack_into("<BBBBQ", body, 208 - 36, 1, 32, 0, 3, 0x608)
    return table(b"FACP", 6 if length >= 276 else 1, bytes(body[:length - 36]))


def mcfg():
    return table(b"MCFG", 1, struct.pack("<Q", 0) + struct.pack("<QHBBI", 0xB0000000, 0, 0, 255, 0))


def image(use_xsdt, tables):
    """RSDP at 0, root table after it, then the tables; addresses are BASE-relative."""
    rsdp_len = 36 if use_xsdt else 20
    root_at = rsdp_len
    entry = 8 if use_xsdt else 4
    root_len = 36 + entry * len(tables)
    at = root_at + root_len
    addrs = []
    for t in tables:
        addrs.append(BASE + at)
        at += len(t)
    fmt = "<Q" if use_xsdt else "<I"
    root = table(b"XSDT" if use_xsdt else b"RSDT", 1, b"".join(struct.pack(fmt, a) for a in addrs))
    if use_xsdt:
        r = bytearray(b"RSD PTR " + b"\0PLEIAD" + bytes([2]) + struct.pack("<I", 0) +
                      struct.pack("<IQ", 36, BASE + root_at) + b"\0\0\0\0")
        r[8] = (-sum(r[:20])) & 0xFF
        r[32] = (-sum(r[:36])) & 0xFF
    else:
        r = bytearray(b"RSD PTR " + b"\0PLEIAD" + bytes([0]) + struct.pack("<I", BASE + root_at))
        r[8] = (-sum(r[:20])) & 0xFF
    return bytes(r) + root + b"".join(tables)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "syn-madt-rev5": madt(5),
        "syn-madt-rev3": madt(3),
        "syn-srat": srat(),
        "syn-hpet": hpet(),
        "syn-fadt-116": fadt(116),
        "syn-fadt-276": fadt(276),
        "syn-mcfg": mcfg(),
        "syn-image-xsdt": image(True, [fadt(276), madt(5), hpet(), srat(), mcfg()]),
        "syn-image-rsdt": image(False, [madt(3), fadt(116)]),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
