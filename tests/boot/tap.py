"""TAP (the Test Anything Protocol) read back from a serial log.

The user test programs (tests/user/, tap.h) each print one TAP stream: the plan "1..N", then
"ok K - NAME" or "not ok K - NAME # got X want Y" per test point. On the serial console several
programs run one after another and the kernel's own lines come in between, so parse() takes
every line that is TAP, ignores the rest, and splits the points into streams at the plans:

  - a plan before any point of the current stream is that stream's plan;
  - a plan after points of a stream that has none closes it (a plan printed last, as TAP allows);
  - any other plan starts a new stream.

A stream is complete when it has a plan and exactly that many points, numbered 1, 2, ... in
order; a program that died half-way leaves fewer points than planned, which is a problem, not a
pass. "not ok ... # TODO" is an expected failure and fails nothing; "# SKIP" counts as passed.
"Bail out!" is always a problem. check_passed(text) is the form Case.checks takes.
"""

import dataclasses
import re

PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*?))?\s*$")
POINT = re.compile(r"^(not )?ok\b[ \t]*(\d+)?[ \t]*(?:-[ \t]*)?(.*?)[ \t]*(?:#[ \t]*(.*?))?[ \t]*$")
BAIL_OUT = re.compile(r"^Bail out!\s*(.*?)\s*$")
DIRECTIVE = re.compile(r"^(SKIP|TODO)\b\s*(.*)$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Point:
    """One test point: its stream (0, 1, ...), its number as printed (None if none was),
    whether it passed, its name, the text after '#', and SKIP/TODO when that text is one."""
    stream: int
    number: int | None
    ok: bool
    name: str
    comment: str = ""
    directive: str = ""  # "", "SKIP" or "TODO"

    @property
    def failed(self):
        return not self.ok and self.directive != "TODO"

    def describe(self):
        text = f"stream {self.stream} #{self.number}: {self.name or '(no name)'}"
        return text + (f" # {self.comment}" if self.comment else "")


@dataclasses.dataclass
class Stream:
    plan: int | None = None
    points: list = dataclasses.field(default_factory=list)
    closed: bool = False  # a trailing plan ended it


@dataclasses.dataclass
class Report:
    """What parse() found: every point, the streams, and what is wrong with them."""
    points: list
    streams: list
    problems: list

    @property
    def passed(self):
        return [p for p in self.points if not p.failed]

    @property
    def failed(self):
        return [p for p in self.points if p.failed]


def parse(text):
    """Every TAP stream in `text` (serial output, already cleaned): a Report."""
    streams = []
    problems = []

    def current():
        if not streams or streams[-1].closed:
            streams.append(Stream())
        return streams[-1]

    for line in text.splitlines():
        line = line.strip()
        plan = PLAN.match(line)
        if plan:
            count = int(plan.group(1))
            stream = streams[-1] if streams and not streams[-1].closed else None
            if stream is not None and stream.plan is None and stream.points:
                stream.plan = count  # a trailing plan ends its stream
                stream.closed = True
            elif stream is not None and stream.plan is None:
                stream.plan = count
            else:
                streams.append(Stream(plan=count))
            continue
        bail = BAIL_OUT.match(line)
        if bail:
            problems.append(f"stream {max(len(streams) - 1, 0)}: bailed out: {bail.group(1)}")
            if streams:
                streams[-1].closed = True
            continue
        point = POINT.match(line)
        if point:
            stream = current()
            comment = point.group(4) or ""
            directive = DIRECTIVE.match(comment)
            stream.points.append(Point(
                stream=len(streams) - 1,
                number=int(point.group(2)) if point.group(2) else None,
                ok=point.group(1) is None,
                name=point.group(3),
                comment=comment,
                directive=directive.group(1).upper() if directive else ""))

    for index, stream in enumerate(streams):
        if stream.plan is None:
            problems.append(f"stream {index}: {len(stream.points)} test points without a plan")
        elif len(stream.points) != stream.plan:
            problems.append(f"stream {index}: planned {stream.plan} test points, saw "
                            f"{len(stream.points)}")
        for expected, point in enumerate(stream.points, start=1):
            if point.number is not None and point.number != expected:
                problems.append(f"stream {index}: test point {point.number} where {expected} "
                                f"was due")
                break
    points = [p for s in streams for p in s.points]
    return Report(points=points, streams=streams, problems=problems)


def check_passed(text):
    """For Case.checks: None when the log has TAP test points, none failed, and every stream is
    complete; otherwise what is wrong (the failed points named)."""
    report = parse(text)
    if not report.points:
        return "no TAP test points in the log"
    errors = list(report.problems)
    if report.failed:
        shown = "; ".join(p.describe() for p in report.failed[:5])
        more = f" and {len(report.failed) - 5} more" if len(report.failed) > 5 else ""
        errors.append(f"{len(report.failed)} TAP test point(s) failed: {shown}{more}")
    return "; ".join(errors) or None
