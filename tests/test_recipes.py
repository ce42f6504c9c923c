"""The README's recipes for loading the dumps into other stores run as written and load every quad.

Each recipe is the ``sh`` block after a ``<!-- recipe: NAME -->`` line; it runs under
``bash -euo pipefail`` with ``DUMPS``, ``WORK`` and ``PORT`` set, and its last line of output is
the number of quads the store holds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, free_port
from ld_fixtures import shipped_store  # noqa: F401 (a fixture)

from libassoc import dumps
from libassoc.store import named_quads

RECIPE = re.compile(r"<!-- recipe: (\w+) -->\n.*?```sh\n(.*?)```", re.DOTALL)
RECIPES = dict(RECIPE.findall((ROOT / "README.md").read_text(encoding="utf-8")))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dump_folder(
    tmp_path_factory: pytest.TempPathFactory,
    shipped_store: ox.Store,  # noqa: F811 (the fixture imported above)
) -> Path:
    folder = tmp_path_factory.mktemp("dumps")
    nquads = dumps.DUMP_FORMATS["nquads"]
    (folder / f"{dumps.DUMP_STEM}.{nquads.extension}").write_bytes(
        dumps.export(shipped_store, nquads)
    )
    return folder


def test_the_readme_has_the_three_recipes() -> None:
    assert set(RECIPES) == {"jena", "oxigraph", "virtuoso"}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_loads_every_quad(
    name: str,
    dump_folder: Path,
    tmp_path: Path,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    environment = {
        **os.environ,
        "DUMPS": str(dump_folder),
        "WORK": str(tmp_path),
        "PORT": str(free_port()),
        # The recipes call `oxigraph` as an installed environment has it.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", RECIPES[name]],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1].strip()
    assert int(last) == sum(1 for _ in named_quads(shipped_store))
