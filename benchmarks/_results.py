"""Write one benchmark's section of benchmarks/RESULTS.md, keeping the others.

Each section sits between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` and is
replaced in place when its benchmark runs again.
"""

from __future__ import annotations

import os
import pathlib
import platform
import sys

RESULTS = pathlib.Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is written by the script it names.\n"


def machine_line() -> str:
    """Return a one-line description of this machine and Python."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``markdown``."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.rstrip()}\n{end}\n"
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text)
    print(f"wrote section {name!r} of {RESULTS}", file=sys.stderr)
