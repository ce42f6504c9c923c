"""Start-up validation: full the first time, skipped on a restart with nothing changed."""

from pathlib import Path

import pytest

from libassoc.conformance import NonConformingError
from libassoc.settings import Paths
from libassoc.validation import format_report
from libassoc.web.app import open_checked_store
from libassoc.web.config import ServerConfig

SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
<https://e.org/shapes#Named> a sh:NodeShape ; sh:targetClass schema:Organization ;
    sh:property [ sh:path schema:name ; sh:minCount 1 ; sh:message "needs a name" ] .
"""
DATA = "<https://e.org/a> a <https://schema.org/Organization> ; <https://schema.org/name> 'A' .\n"


def home(tmp_path: Path) -> ServerConfig:
    for folder in ("shapes", "queries", "data"):
        (tmp_path / folder).mkdir()
    (tmp_path / "shapes" / "shapes.ttl").write_text(SHAPE)
    (tmp_path / "data" / "one.ttl").write_text(DATA)
    return ServerConfig(paths=Paths(tmp_path), data=(tmp_path / "data",), store=tmp_path / "store")


def start(config: ServerConfig) -> list[str]:
    said: list[str] = []
    store = open_checked_store(config, said.append)
    del store  # releases the on-disk store for the next start
    return said


def validated(said: list[str]) -> bool:
    return any(line.startswith("Validating the whole store") for line in said)


def test_a_restart_with_nothing_changed_skips_validation(tmp_path: Path) -> None:
    config = home(tmp_path)
    assert validated(start(config))
    again = start(config)
    assert not validated(again)
    assert any("so was every write" in line for line in again)


def test_changed_shapes_validate_a_reused_store_again(tmp_path: Path) -> None:
    config = home(tmp_path)
    start(config)
    shapes = tmp_path / "shapes" / "shapes.ttl"
    shapes.write_text(SHAPE.replace("sh:minCount 1", "sh:minCount 1 ; sh:maxCount 1"))
    said = start(config)
    assert any("built from the same data files" in line for line in said)
    assert validated(said)


def test_a_store_that_breaks_new_shapes_is_refused(tmp_path: Path) -> None:
    config = home(tmp_path)
    start(config)
    (tmp_path / "shapes" / "shapes.ttl").write_text(SHAPE.replace("schema:name", "schema:url"))
    with pytest.raises(NonConformingError) as refused:
        start(config)
    assert "needs a name" in format_report(refused.value.outcome)


def test_a_rebuilt_store_is_validated_again(tmp_path: Path) -> None:
    config = home(tmp_path)
    start(config)
    (tmp_path / "data" / "one.ttl").write_text(DATA.replace("'A'", "'B'"))
    said = start(config)
    assert any("Loading the data into the store" in line for line in said)
    assert validated(said)
