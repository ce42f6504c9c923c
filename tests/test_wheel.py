"""The built wheel serves the shipped graph and its query UI with no checkout around it.

The wheel is built from a copy of the project's files (so the checkout gets no build/ folder)
without build isolation, with the project environment's setuptools: no network. It is installed
with ``--no-deps`` into a fresh virtual environment, whose dependencies come from the project's
environment through a .pth file (installing them needs an index). Only site-packages of the new
environment are processed, so the project's editable install, a .pth there, stays out of reach
and ``libassoc`` can only be the wheel's. The server runs from an unrelated folder, without
``LIBASSOC_HOME``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import ROOT, STARTUP_SECONDS, LiveServer, free_port
from test_queries import canonical_rows, expected_path, parsed_expected

from libassoc.catalog import NamedQuery, QueryCatalog
from libassoc.settings import Paths

pytestmark = pytest.mark.slow

SOURCE_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
SOURCE_TREES = ("src", "data", "ontology", "shapes", "queries")
YASGUI = Path("node_modules", "@zazuko", "yasgui")
YASGUI_FILES = (
    YASGUI / "package.json",
    YASGUI / "build" / "yasgui.min.js",
    YASGUI / "build" / "yasgui.min.css",
)
PIP = str(Path(sys.executable).with_name("pip"))
COMPETENCY = QueryCatalog.from_dir(Paths().queries).competency()


def source_copy(folder: Path) -> Path:
    """What a wheel is built from: the sources and the query UI that `make assets` installed."""
    missing = [str(name) for name in YASGUI_FILES if not (ROOT / name).is_file()]
    assert not missing, f"run `make assets` first: {missing} missing"
    for name in SOURCE_FILES:
        shutil.copyfile(ROOT / name, folder / name)
    for tree in SOURCE_TREES:
        shutil.copytree(
            ROOT / tree, folder / tree, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    for name in YASGUI_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, folder / name)
    return folder


def build_wheel(source: Path, out: Path) -> Path:
    subprocess.run(
        [
            PIP,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(source),
            "-w",
            str(out),
        ],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("libassoc-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A fresh environment holding the wheel; its dependencies are the project environment's."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [PIP, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "libassoc-test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return venv / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    (folder / "source").mkdir()
    source = source_copy(folder / "source")
    wheel = build_wheel(source, folder / "dist")
    shutil.rmtree(source)  # nothing of the sources may be found at run time
    return install(wheel, folder / "venv")


@pytest.fixture(scope="module")
def served(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    environment = {k: v for k, v in os.environ.items() if k != "LIBASSOC_HOME"}
    environment["XDG_STATE_HOME"] = str(elsewhere / "state")
    port = free_port()
    log = elsewhere / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(installed / "libassoc"), "serve", "--port", str(port)],
            cwd=elsewhere,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, elsewhere, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(server.sparql, params={"query": "ASK {}"}, timeout=5).is_success:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        server.stop()
        pytest.fail(f"the installed server did not start:\n{server.output()}")
    yield server
    server.stop()


def test_the_installed_package_reads_its_own_copy(installed: Path) -> None:
    found = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "from libassoc.settings import Paths; print(Paths().root)",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "LIBASSOC_HOME"},
    ).stdout.strip()
    assert Path(found).is_relative_to(installed.parent), found
    assert (Path(found) / "ontology" / "libassoc.ttl").is_file()


def test_state_goes_to_the_users_state_folder(served: LiveServer) -> None:
    assert (served.home / "state" / "libassoc" / "store").is_dir()
    assert not (served.home / "var").exists()


@pytest.mark.parametrize("query", COMPETENCY, ids=lambda q: q.name)
def test_competency_queries_answer(served: LiveServer, query: NamedQuery) -> None:
    answer = httpx.post(
        served.sparql,
        data={"query": query.text},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result = ox.parse_query_results(answer.content, format=ox.QueryResultsFormat.JSON)
    expected = parsed_expected(expected_path(query))
    assert isinstance(result, ox.QuerySolutions) and isinstance(expected, ox.QuerySolutions)
    got, want = canonical_rows(result), canonical_rows(expected)
    assert got, "a competency question must have an answer"
    if "ORDER BY" in query.text.upper():
        assert got == want
    else:
        assert Counter(got) == Counter(want)


def test_the_query_ui_and_its_script_load(served: LiveServer) -> None:
    page = httpx.get(served.sparql, headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    assert "/assets/yasgui/yasgui.min.js" in page.text, page.text
    for path in ("/assets/yasgui/yasgui.min.js", "/assets/yasgui/yasgui.min.css"):
        asset = httpx.get(served.url + path, timeout=30)
        assert asset.status_code == 200, path
        assert len(asset.content) > 10_000, path
