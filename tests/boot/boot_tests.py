#!/usr/bin/env python3
"""Run the QEMU boot tests: tests/boot/boot_tests.py [--list] [-j N] [CASE-GLOB...]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from cases import CASES  # noqa: E402

if __name__ == "__main__":
    sys.exit(harness.main(CASES))
