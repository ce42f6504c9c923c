"""Named sections of ``RESULTS.md``, each between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

Each mode of the harness owns one or more sections and rewrites only those: the seed-size run
(``make bench``) writes the rest of the file and keeps every section it finds, the scale mode
owns ``scale``, the served mode ``served-10m`` (one per size it is run at).
"""

from __future__ import annotations

import re

_START = re.compile(r"<!-- ([a-z0-9][a-z0-9-]*):start -->")


def markers(name: str) -> tuple[str, str]:
    """The opening and closing markers of the section ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def extract(text: str, name: str) -> str:
    """The section ``name`` of ``text`` (markers included, one newline after), or ""."""
    start_marker, end_marker = markers(name)
    start = text.find(start_marker)
    end = text.find(end_marker, start + len(start_marker)) if start >= 0 else -1
    if start < 0 or end < 0:
        return ""
    return text[start : end + len(end_marker)] + "\n"


def splice(text: str, name: str, section: str) -> str:
    """``text`` with its section ``name`` replaced by ``section``, or ``section`` appended."""
    start_marker, end_marker = markers(name)
    start = text.find(start_marker)
    end = text.find(end_marker, start + len(start_marker)) if start >= 0 else -1
    if start >= 0 and end >= 0:
        after = text[end + len(end_marker) :].lstrip("\n")
        return text[:start] + section + ("\n" + after if after else "")
    if not text.strip():
        return section
    return text.rstrip("\n") + "\n\n" + section


def names(text: str) -> list[str]:
    """The name of every complete section of ``text``, in the order they appear."""
    found = []
    for match in _START.finditer(text):
        name = match.group(1)
        if name not in found and extract(text, name):
            found.append(name)
    return found


def keep(previous: str, text: str) -> str:
    """``text`` with every section of ``previous`` put back (replaced, or appended in order)."""
    for name in names(previous):
        text = splice(text, name, extract(previous, name))
    return text
