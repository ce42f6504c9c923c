"""Rules of the code base that no linter checks: layering, SPARQL in files, IRIs in one place."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "libassoc"
MODULES = sorted(SOURCE.rglob("*.py"))
CORE = [m for m in MODULES if "web" not in m.relative_to(SOURCE).parts and m.name != "cli.py"]
WEB_PACKAGES = ("libassoc.web", "fastapi", "starlette", "uvicorn", "jinja2")
SPARQL = re.compile(
    r"\b(SELECT\s+(\?|\*|DISTINCT|REDUCED|\()|CONSTRUCT\s*(\{|WHERE)|ASK\s*\{|DESCRIBE\s+[?<]"
    r"|INSERT\s+DATA|DELETE\s+(DATA|WHERE)|PREFIX\s+\w*:\s*<)",
    re.IGNORECASE,
)
IRI = re.compile(r"https?://[^\s\"'<>]+")


def string_literals(module: Path) -> Iterator[tuple[int, str]]:
    """Every string constant of ``module`` but its docstrings."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def imports(module: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("module", CORE, ids=lambda m: m.name)
def test_the_core_knows_nothing_of_the_web_layer(module: Path) -> None:
    web = [name for name in imports(module) if name.startswith(WEB_PACKAGES)]
    assert not web, f"{module.name} imports {web}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: str(m.relative_to(SOURCE)))
def test_no_sparql_in_python_strings(module: Path) -> None:
    found = [(line, text[:60]) for line, text in string_literals(module) if SPARQL.search(text)]
    assert not found, f"SPARQL belongs in queries/*.rq: {found}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: str(m.relative_to(SOURCE)))
def test_iris_are_spelled_only_in_namespaces(module: Path) -> None:
    if module.name == "namespaces.py":
        return
    found = [(line, text) for line, text in string_literals(module) if IRI.search(text)]
    assert not found, f"IRIs belong in namespaces.py: {found}"


def test_the_rules_would_catch_a_violation() -> None:
    assert SPARQL.search("select ?s where { ?s ?p ?o }")
    assert SPARQL.search("PREFIX schema: <https://schema.org/>")
    assert not SPARQL.search("Select a format from the list")
    assert IRI.search("see https://schema.org/name")
