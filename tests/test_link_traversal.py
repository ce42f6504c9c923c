"""Comunica's link traversal (npm ``@comunica/query-sparql-link-traversal``) from an entity IRI.

Comunica prefers N-Quads and reads each document's default graph, so this is the client that
needs a page's quad syntaxes to carry the merged description outside the named graphs. The
traversal starts at the server's own address; the links it follows are ``https://w3id.org/...``
IRIs, which ``link_traversal.cjs`` fetches from the test server (as w3id.org redirects to the
server in public) while refusing anything else: nothing leaves the machine.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import ROOT, LiveServer
from ld_fixtures import get

from libassoc.namespaces import BASE

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "tests" / "link_traversal.cjs"
ALA = BASE + "org/ala"
# A division's founding date is on the division's own page only: ALA's page gives the labels of
# what it links to, nothing more, so finding one means Comunica followed a link.
QUERY = f"""PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?name ?division ?divisionName ?founded WHERE {{
  <{ALA}> schema:name ?name ; schema:subOrganization ?division .
  ?division schema:name ?divisionName ; schema:foundingDate ?founded .
}}"""


def traverse(server: LiveServer, seed: str, query: str) -> dict[str, Any]:
    """What Comunica answers, started at ``seed``: bindings and the URLs asked and refused."""
    package = ROOT / "node_modules" / "@comunica" / "query-sparql-link-traversal"
    if not package.exists():
        pytest.fail("Comunica link traversal is needed: run `make assets` (npm ci)")
    done = subprocess.run(
        ["node", str(SCRIPT), server.url, BASE, seed, query],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_link_traversal_from_an_entity_finds_it_and_what_it_links_to(server: LiveServer) -> None:
    found = traverse(server, f"{server.url}/org/ala", QUERY)
    rows = found["bindings"]
    assert {row["name"] for row in rows} == {"American Library Association"}, found["refused"]
    by_division = {row["division"]: row for row in rows}
    alsc = by_division.get(BASE + "org/alsc")
    assert alsc, f"no division's page was followed: {sorted(by_division)}"
    assert alsc["divisionName"] == "Association for Library Service to Children"
    assert alsc["founded"] == "1901"
    # The founding date came from the division's page, reached through its w3id.org IRI.
    ala_page = ox.parse(get(server, "/org/ala.nq").content, format=ox.RdfFormat.N_QUADS)
    founding = ox.NamedNode("https://schema.org/foundingDate")
    division = ox.NamedNode(BASE + "org/alsc")
    assert not [q for q in ala_page if q.subject == division and q.predicate == founding]
    assert BASE + "org/alsc" in found["asked"]
    assert found["asked"][0] == f"{server.url}/org/ala"
    # Every IRI of ours was served here; what was refused was never needed for the answers.
    assert not [url for url in found["refused"] if url.startswith(BASE)]
