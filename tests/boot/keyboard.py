"""Typing on the guest's emulated PS/2 keyboard through the QEMU human monitor (`sendkey`).

A boot case's interact step may carry a Keyboard instead of serial text (harness.py): the
harness then starts QEMU with its monitor on a Unix socket and sends one `sendkey` a key,
waiting for the monitor's prompt after each so that a refused key is reported, not lost.
Python 3 standard library only.
"""

import dataclasses
import socket
import time

# Unshifted US-layout characters that are not letters or digits -> QEMU key names (QKeyCode).
_KEY_NAMES = {" ": "spc", "\r": "ret", "\t": "tab", "-": "minus", "=": "equal", "/": "slash",
              ".": "dot", ",": "comma", ";": "semicolon", "'": "apostrophe", "\\": "backslash",
              "[": "bracket_left", "]": "bracket_right", "`": "grave_accent"}
# Characters the US layout types with Shift -> the key pressed with it.
_SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
            "(": "9", ")": "0", "_": "minus", "+": "equal", "?": "slash", ">": "dot",
            "<": "comma", ":": "semicolon", '"': "apostrophe", "|": "backslash",
            "{": "bracket_left", "}": "bracket_right", "~": "grave_accent"}

# A key is held this long (ms), as `sendkey`'s hold time. QEMU queues a key sent while the
# previous one is still down behind its release, so keys arrive in order and one at a time
# (a shifted key's Shift is up before the next key goes down).
KEY_HOLD_MS = 20
# Between two keys: QEMU's queue stays short and the guest takes one interrupt per key.
KEY_GAP_SECONDS = 2 * KEY_HOLD_MS / 1000
# Connecting and each monitor answer: the monitor answers `sendkey` at once (the press and
# release are queued), so this only bounds a wait on a QEMU that has hung.
MONITOR_TIMEOUT_SECONDS = 10.0
_PROMPT = b"(qemu) "


@dataclasses.dataclass(frozen=True)
class Key:
    """One key or combination by its QEMU `sendkey` name, sent as it is: "ctrl-c", "caps_lock",
    "backspace", "shift-tab"."""
    name: str


@dataclasses.dataclass(frozen=True)
class Keyboard:
    """What an interact step types on the keyboard: a tuple of parts, each a string (typed
    character by character as the US layout has it; "\\r" is Enter) or a Key."""
    parts: tuple


class KeyboardError(Exception):
    """The monitor could not be reached or refused a key."""


def key_names(keyboard):
    """The `sendkey` arguments that type `keyboard` (a Keyboard); ValueError for a character
    the US layout has no key for."""
    keys = []
    for part in keyboard.parts:
        if isinstance(part, Key):
            keys.append(part.name)
            continue
        for c in part:
            if c.isascii() and c.isalpha():
                keys.append("shift-" + c.lower() if c.isupper() else c)
            elif c.isascii() and c.isdigit():
                keys.append(c)
            elif c in _KEY_NAMES:
                keys.append(_KEY_NAMES[c])
            elif c in _SHIFTED:
                keys.append("shift-" + _KEY_NAMES.get(_SHIFTED[c], _SHIFTED[c]))
            else:
                raise ValueError(f"no US-layout key types {c!r}")
    return keys


def _read_to_prompt(sock, deadline):
    """The monitor's output up to and including its next prompt."""
    data = b""
    while not data.endswith(_PROMPT):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise KeyboardError(f"no monitor prompt within {MONITOR_TIMEOUT_SECONDS:g} s "
                                f"(got {data[-80:]!r})")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            raise KeyboardError("the monitor closed the connection")
        data += chunk
    return data


def command_reply(output):
    """What the monitor said to a command, from its output up to the next prompt: the echo of
    the command line ends with the first CR LF, the prompt ends it all."""
    _, _, reply = output[:-len(_PROMPT)].partition(b"\r\n")
    return reply.decode(errors="replace").strip()


def type_keys(monitor_path, keyboard):
    """Types `keyboard` through the QEMU human monitor listening on the Unix socket
    `monitor_path`, one `sendkey` at a time; raises KeyboardError when the monitor cannot be
    reached, answers late or refuses a key (its message is in the error)."""
    keys = key_names(keyboard)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(MONITOR_TIMEOUT_SECONDS)
        try:
            sock.connect(monitor_path)
            _read_to_prompt(sock, time.monotonic() + MONITOR_TIMEOUT_SECONDS)  # the greeting
            for key in keys:
                command = f"sendkey {key} {KEY_HOLD_MS}"
                sock.sendall(command.encode() + b"\n")
                reply = command_reply(
                    _read_to_prompt(sock, time.monotonic() + MONITOR_TIMEOUT_SECONDS))
                if reply:
                    raise KeyboardError(f"monitor refused '{command}': {reply}")
                time.sleep(KEY_GAP_SECONDS)
        except OSError as e:
            raise KeyboardError(f"monitor {monitor_path}: {e}") from e
