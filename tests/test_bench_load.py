"""``bench/load.py``: its pure parts on fixed inputs, then a short run against a real server.

The run is seconds long at concurrency 4: it checks that the harness works end to end (no
unintended errors, its section written, the other sections kept), not the figures, which
``make bench-load`` measures for a minute at concurrency 32.
"""

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


load = bench_module("load")
loadgen = bench_module("benchkit.loadgen")
sections = bench_module("benchkit.sections")


def test_the_mix_splits_the_loops_among_clients() -> None:
    assert loadgen.mix(32) == {
        "cheap query": (4, 4, 4, 4),
        "page view": (2, 2, 2, 2),
        "dump download": (2, 2),
        "expensive query": (2, 1, 1),
    }
    assert [sum(loops) for loops in loadgen.mix(4).values()] == [1, 1, 1, 1]
    with pytest.raises(ValueError):
        loadgen.mix(3)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1:8000", "http://localhost:8000", "https://example.org/sparql"]
)
def test_only_loopback_is_ever_targeted(url: str) -> None:
    with pytest.raises(SystemExit):
        load.parse_args(["--url", url])


def test_a_running_server_on_loopback_is_accepted() -> None:
    assert load.parse_args(["--url", "http://[::1]:8000/"]).url == "http://[::1]:8000"
    assert load.parse_args(["--url", "http://127.0.0.1:8000"]).url == "http://127.0.0.1:8000"


def test_only_the_intended_refusals_are_not_errors() -> None:
    tally = loadgen.Tally()
    for outcome in ("200", "304", "429", "503", "500", "404", "client timeout", "ClientOSError"):
        tally.add(outcome, 0.01, 10)
    assert (tally.count, tally.errors, len(tally.durations)) == (8, 4, 2)


def test_a_short_run_writes_its_section_and_keeps_the_others(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    other = "<!-- scale:start -->\n## Scale\nkept\n<!-- scale:end -->\n"
    output.write_text("# Benchmark\n\n" + other, encoding="utf-8")
    argv = ["--seconds", "3", "--concurrency", "4", "--alone-requests", "40"]
    load.main([*argv, "--query-timeout", "1", "-o", str(output)])
    text = output.read_text(encoding="utf-8")
    assert sections.extract(text, "scale") == other
    section = sections.extract(text, "load")
    assert "no unintended errors" in section, section
    for kind in ("cheap query", "page view", "dump download", "expensive query"):
        assert f"| together: {kind} |" in section
    assert "| together: expensive query | 1 (1) |" in section
