"""Facts about the machine and the software versions, for the report."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("libassoc", "pyoxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn", "aiohttp")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def meminfo(field: str) -> int | None:
    """A line of ``/proc/meminfo`` in bytes (``MemTotal``, ``MemAvailable``), None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            name, _, rest = line.partition(":")
            if name == field:
                return int(rest.split()[0]) * 1024  # the file counts in KiB
    except (OSError, ValueError, IndexError):
        pass
    return None


def total_memory() -> int | None:
    """The machine's memory in bytes."""
    return meminfo("MemTotal")


def _memory() -> str:
    total = total_memory()
    return "unknown" if total is None else f"{total / 1024**3:.1f} GiB"


def version(package: str) -> str:
    """The installed version of a Python package, or "not installed"."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def commit(root: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def source_digest(root: Path) -> str:
    """A digest of every file under ``src/``: it changes whenever the code the servers run does.

    A long run reads the working tree, not a commit: a process started later (a query worker,
    a dump writer, a restart) runs whatever ``src/`` holds by then.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in (root / "src").rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:  # removed while we read
            continue
    return digest.hexdigest()


def facts(root: Path) -> dict[str, str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    found = {
        "CPU": f"{os.cpu_count()} cores, {_cpu_model()}",
        "memory": _memory(),
        "system": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "load average at start (1, 5, 15 min)": load,
        "commit": commit(root),
    }
    found.update({package: version(package) for package in PACKAGES})
    return found
