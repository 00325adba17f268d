#!/usr/bin/python3
"""Reads the AddressSanitizer / LeakSanitizer report of a Janus that ran
Convene's ASan modules (tests/e2e/with-server --asan) and tells what is
Convene's.

A leak is attributed to Convene when any frame of its allocation stack is in
Convene's code: a function named convene_* or cv_*, the modules
libjanus_convene*.so, or a source file of this repository (plugins/,
transports/, src/). Everything else (Janus core, GLib, libnice, OpenSSL,
libwebsockets, libsrtp, jansson allocating for themselves) is counted as
"elsewhere". Any AddressSanitizer error (use-after-free, overflow, double
free, ...) is reported whoever it names: it means memory was corrupted.

As a library: ``report = parse(prefix)``; see Report.
As a program::

    lsan_report.py [--summary] [--all] PREFIX_OR_FILE...

prints what it found and exits 1 when there are errors or leaks attributed
to Convene (0 otherwise; 0 as well when there is no report at all).
"""
import glob
import os
import re
import sys

TOP = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUR_DIRS = tuple(os.path.join(TOP, d) + os.sep for d in ("plugins", "transports", "src"))

LEAK_RE = re.compile(r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\) allocated from:")
FRAME_RE = re.compile(r"^\s*#(\d+) 0x[0-9a-f]+ (?:in (\S+) )?(.*)$")
ERROR_RE = re.compile(r"^==\d+==ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): (.*)$")
SUPP_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s*$")
SUMMARY_RE = re.compile(r"^SUMMARY: AddressSanitizer: (\d+) byte\(s\) leaked in (\d+) allocation\(s\)")


def is_convene_frame(frame):
    """True when a stack frame line is in Convene's code."""
    m = FRAME_RE.match(frame)
    if not m:
        return False
    func, where = m.group(2) or "", m.group(3)
    if func.startswith(("convene_", "cv_")):
        return True
    if "libjanus_convene" in where:
        return True
    path = where.lstrip("(").split(":", 1)[0]
    return os.path.realpath(path).startswith(OUR_DIRS) if path.startswith("/") else False


class Leak:
    def __init__(self, kind, size, objects):
        self.kind, self.size, self.objects = kind, size, objects
        self.frames = []

    @property
    def convene(self):
        return any(is_convene_frame(f) for f in self.frames)

    def text(self):
        head = f"{self.kind} leak of {self.size} byte(s) in {self.objects} object(s) allocated from:"
        return "\n".join([head] + self.frames)


class Report:
    """What the report files say.

    leaks        every leak record not suppressed (Leak: kind, size, objects, frames, convene)
    errors       ASan errors other than the leak report: (headline, text)
    suppressed   [(count, bytes, template)] from "Suppressions used"
    files        the report files read
    """

    def __init__(self):
        self.leaks, self.errors, self.suppressed, self.files = [], [], [], []

    @property
    def ours(self):
        return [x for x in self.leaks if x.convene]

    @property
    def elsewhere(self):
        return [x for x in self.leaks if not x.convene]

    @property
    def suppressed_bytes(self):
        return sum(b for _, b, _ in self.suppressed)

    @property
    def elsewhere_bytes(self):
        """Bytes leaked outside Convene: suppressed plus unsuppressed others."""
        return self.suppressed_bytes + sum(x.size for x in self.elsewhere)

    @property
    def ok(self):
        return not self.errors and not self.ours


def report_files(prefix_or_file):
    if os.path.isfile(prefix_or_file):
        return [prefix_or_file]
    return sorted(glob.glob(glob.escape(prefix_or_file) + ".*"))


def parse_text(text, report=None):
    report = report or Report()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = ERROR_RE.match(line)
        if m and "detected memory leaks" not in m.group(2):
            # an error report: everything up to its SUMMARY line
            j = i + 1
            while j < len(lines) and not lines[j].startswith("SUMMARY:"):
                j += 1
            report.errors.append((f"{m.group(1)}: {m.group(2)}", "\n".join(lines[i:j + 1])))
            i = j + 1
            continue
        m = LEAK_RE.match(line)
        if m:
            leak = Leak(m.group(1), int(m.group(2)), int(m.group(3)))
            i += 1
            while i < len(lines) and FRAME_RE.match(lines[i]):
                leak.frames.append(lines[i].rstrip())
                i += 1
            report.leaks.append(leak)
            continue
        if line.startswith("Suppressions used:"):
            i += 2      # the "count bytes template" header
            while i < len(lines):
                s = SUPP_RE.match(lines[i])
                if not s:
                    break
                report.suppressed.append((int(s.group(1)), int(s.group(2)), s.group(3)))
                i += 1
            continue
        i += 1
    return report


def parse(*prefixes):
    report = Report()
    for p in prefixes:
        for f in report_files(p):
            report.files.append(f)
            with open(f, errors="replace") as fh:
                parse_text(fh.read(), report)
    return report


def describe(report, show_all=False):
    out = []
    if not report.files:
        out.append("no ASan/LSan report (nothing found at exit)")
        return "\n".join(out)
    out.append(f"{len(report.errors)} ASan error(s); {len(report.ours)} leak record(s) through Convene "
               f"({sum(x.size for x in report.ours)} bytes); "
               f"{report.elsewhere_bytes} bytes leaked elsewhere "
               f"({report.suppressed_bytes} suppressed, {len(report.elsewhere)} unsuppressed record(s))")
    for head, text in report.errors:
        out.append("---- " + head)
        out.append(text)
    for leak in report.ours:
        out.append("---- leak through Convene")
        out.append(leak.text())
    if show_all:
        for leak in report.elsewhere:
            out.append("---- leak elsewhere (no Convene frame)")
            out.append(leak.text())
        for count, size, template in report.suppressed:
            out.append(f"suppressed: {count:6d} {size:9d} {template}")
    return "\n".join(out)


def main(argv):
    show_all = "--all" in argv
    args = [a for a in argv if not a.startswith("--")]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    report = parse(*args)
    text = describe(report, show_all)
    print("\n".join("lsan: " + line for line in text.splitlines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
