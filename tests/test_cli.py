"""The ``libassoc`` command as a user runs it: a real process, real files, its exit codes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from libassoc.settings import Paths

PATHS = Paths()
LIBASSOC = [sys.executable, "-m", "libassoc"]


def libassoc(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LIBASSOC, *map(str, args)], capture_output=True, text=True)


def copy_of_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(PATHS.data, target)
    return target


def test_validate_passes_on_the_shipped_data() -> None:
    done = libassoc("validate")
    assert done.returncode == 0, done.stderr
    assert "conforms" in done.stdout


def test_validate_reports_a_violation_with_exit_1(tmp_path: Path) -> None:
    data = copy_of_data(tmp_path)
    (data / "broken.ttl").write_text(
        "<https://w3id.org/libassoc/org/lonely-unit> "
        "<https://schema.org/parentOrganization> <https://w3id.org/libassoc/org/ala> .\n"
    )
    done = libassoc("validate", PATHS.ontology, data)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "one-way-suborganization-violation" in done.stderr
    assert "https://w3id.org/libassoc/org/lonely-unit" in done.stderr


def test_validate_names_an_unreadable_file_and_line_with_exit_2(tmp_path: Path) -> None:
    data = copy_of_data(tmp_path)
    broken = data / "broken.ttl"
    broken.write_text(
        "<https://e.org/a> <https://e.org/p> 'fine' .\n<https://e.org/a> <https://e.org/p> .\n"
    )
    done = libassoc("validate", PATHS.ontology, data)
    assert done.returncode == 2
    assert f"{broken}:2:" in done.stderr
    assert "Traceback" not in done.stderr


def test_export_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "all.nq"
    done = libassoc("export", "--format", "nquads", "-o", target)
    assert done.returncode == 0, done.stderr
    quads = list(ox.parse(path=str(target), format=ox.RdfFormat.N_QUADS))
    assert len({q.graph_name for q in quads}) >= 4


def test_export_to_stdout_matches_the_file(tmp_path: Path) -> None:
    target = tmp_path / "all.ttl"
    libassoc("export", "--format", "turtle", "-o", target)
    done = subprocess.run([*LIBASSOC, "export", "--format", "turtle"], capture_output=True)
    assert done.stdout == target.read_bytes()


def test_query_by_file_and_by_name_in_every_format(tmp_path: Path) -> None:
    query = tmp_path / "names.rq"
    query.write_text(
        "SELECT ?name WHERE { <https://w3id.org/libassoc/org/ala> <https://schema.org/name> ?name }"
    )
    done = libassoc("query", query, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    assert rows == [
        {"name": {"type": "literal", "value": "American Library Association", "xml:lang": "en"}}
    ]
    assert "American Library Association" in libassoc("query", query, "--format", "csv").stdout
    assert "American Library Association" in libassoc("query", query, "--format", "tsv").stdout
    table = libassoc("query", query).stdout
    assert table.splitlines()[0].strip() == "name" and "(1 row)" in table
    by_name = libassoc("query", "checks/blank-node-violation", "--format", "table")
    assert by_name.returncode == 0 and "(0 rows)" in by_name.stdout


def test_query_errors_are_clear(tmp_path: Path) -> None:
    unknown = libassoc("query", "no-such-query")
    assert unknown.returncode == 2 and "no query named 'no-such-query'" in unknown.stderr
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ?y }")
    done = libassoc("query", bad)
    assert done.returncode == 2 and str(bad) in done.stderr and "Traceback" not in done.stderr
