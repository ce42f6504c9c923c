"""Other SPARQL clients against the real server, by GET and by POST: Apache Jena's ``rsparql``
(Debian ``libapache-jena-java``) and Comunica (npm ``@comunica/query-sparql``)."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, LiveServer

pytestmark = pytest.mark.slow

ALA_NAME = (
    "SELECT ?name WHERE { <https://w3id.org/libassoc/org/ala> <https://schema.org/name> ?name }"
)
ALA_CONSTRUCT = (
    "CONSTRUCT WHERE { <https://w3id.org/libassoc/org/ala> <https://schema.org/name> ?name }"
)
EXPECTED = "American Library Association"
JAVA_PACKAGES = (
    "libapache-jena-java",
    "libcommons-cli-java",
    "libcommons-codec-java",
    "libcommons-compress-java",
    "libcommons-csv-java",
    "libcommons-io-java",
    "libcommons-lang3-java",
    "libdexx-java",
    "libgoogle-gson-java",
    "libguava-java",
    "libhttpclient-java",
    "libhttpcore-java",
    "libjackson2-core-java",
    "libjackson2-databind-java",
    "libjackson2-annotations-java",
    "libjsonld-java",
    "libjsonp2-java",
    "libprotobuf-java",
    "libslf4j-java",
    "libthrift-java",
    "libtitanium-json-ld-java",
    "libcaffeine-java",
)
# One SLF4J binding (nop) and no bridges: several on one class path stop the JVM at start-up.
UNWANTED_JAR = re.compile(
    r"log4j-over|slf4j-(log4j|jcl|jdk|simple|migrator|ext|reload)|jcl-over|jul-to"
)
VERSIONED_JAR = re.compile(r"-\d[\d.]*[^/]*\.jar$")


def jena_class_path(scratch: Path) -> str:
    jars: list[str] = []
    for package in JAVA_PACKAGES:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        jars += [
            line
            for line in listed.stdout.splitlines()
            if re.fullmatch(r"/usr/share/java/[^/]+\.jar", line)
            and not VERSIONED_JAR.search(line)
            and not UNWANTED_JAR.search(line)
        ]
    if not any(jar.endswith("/jena-cmds.jar") for jar in jars):
        pytest.fail("Apache Jena is needed: run `make system-deps` (libapache-jena-java)")
    # Debian's jena-core moves Jena's bundled Xerces to the package `xerces` but leaves its
    # message files under `org/apache/jena/ext/xerces`; without them Jena fails to start.
    # Copy them to where the moved classes look.
    with zipfile.ZipFile("/usr/share/java/jena-core.jar") as jar:
        for name in jar.namelist():
            prefix = "org/apache/jena/ext/xerces/impl/"
            if name.startswith(prefix) and name.endswith(".properties"):
                target = scratch / "xerces" / "impl" / name.removeprefix(prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return ":".join([str(scratch), *sorted(set(jars))])


def rsparql(server: LiveServer, scratch: Path, query: str, *options: str) -> str:
    query_file = scratch / "query.rq"
    query_file.write_text(query, encoding="utf-8")
    command = [
        "java",
        "-cp",
        jena_class_path(scratch),
        "arq.rsparql",
        "--service",
        server.sparql,
        "--query",
        str(query_file),
        *options,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def requests_logged(server: LiveServer, method: str) -> int:
    return len(re.findall(rf'"{method} /sparql[ ?]', server.output()))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_jena_rsparql(server: LiveServer, tmp_path: Path, method: str) -> None:
    options = ["--post"] if method == "POST" else []
    before = requests_logged(server, method)
    rows = json.loads(rsparql(server, tmp_path, ALA_NAME, "--results", "JSON", *options))
    assert rows["results"]["bindings"][0]["name"]["value"] == EXPECTED
    assert EXPECTED in rsparql(server, tmp_path, ALA_CONSTRUCT, "--results", "TTL", *options)
    assert requests_logged(server, method) == before + 2


def comunica(server: LiveServer, query: str) -> str:
    binary = ROOT / "node_modules" / ".bin" / "comunica-sparql"
    if not binary.exists():
        pytest.fail("Comunica is needed: run `make assets` (npm ci)")
    done = subprocess.run(
        [str(binary), f"sparql@{server.sparql}", query, "-t", "application/sparql-results+json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_comunica_by_get_and_post(server: LiveServer) -> None:
    # Comunica sends a short query by GET and a long one by POST.
    before = requests_logged(server, "GET"), requests_logged(server, "POST")
    assert EXPECTED in comunica(server, ALA_NAME)
    long_query = ALA_NAME.replace("}", f'FILTER(?name != "{"x" * 2000}") }}')
    assert EXPECTED in comunica(server, long_query)
    after = requests_logged(server, "GET"), requests_logged(server, "POST")
    assert after == (before[0] + 1, before[1] + 1)
