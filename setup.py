"""Puts the graph and the built query UI inside the package when a wheel is built.

An installed wheel has no checkout around it, so it carries a copy of the checkout's folders in
``libassoc/shipped/``, laid out the same way (``settings.project_root`` finds it). An editable
install reads the checkout itself and gets no copy. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
TREES = ("data", "ontology", "shapes", "queries")
YASGUI = Path("node_modules", "@zazuko", "yasgui")
# What the query UI page loads, and the package.json that names its version and licence.
YASGUI_FILES = (
    YASGUI / "build" / "yasgui.min.js",
    YASGUI / "build" / "yasgui.min.css",
    YASGUI / "package.json",
)


def install_yasgui() -> None:
    """The same install as ``make assets``, at build time: the wheel never fetches at run time."""
    if all((ROOT / name).is_file() for name in YASGUI_FILES):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "building libassoc needs the query UI: install Node.js/npm, or run `make assets`"
        )
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 (fixed arguments, no input)


class BuildWithShippedData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        install_yasgui()
        target = Path(self.build_lib) / "libassoc" / "shipped"
        shutil.rmtree(target, ignore_errors=True)
        for tree in TREES:
            shutil.copytree(ROOT / tree, target / tree)
        for name in YASGUI_FILES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, target / name)


setup(cmdclass={"build_py": BuildWithShippedData})
