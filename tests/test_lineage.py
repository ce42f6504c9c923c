"""Lineage pictures (web/lineage.py): dates at the sources' precision, lanes and events laid out
from the graph, and the SVG a page serves holding the years and links that the graph holds."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
from conftest import LiveServer
from ld_fixtures import get, shipped_store  # noqa: F401 (a fixture)

from libassoc.catalog import QueryCatalog, select
from libassoc.settings import Paths
from libassoc.web.lineage import Lineage, lineage, settled

ORG = "https://w3id.org/libassoc/org/"
CATALOG = QueryCatalog.from_dir(Paths().queries)


class Picture(HTMLParser):
    """The links and the titles of the first lineage picture of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.titles: list[str] = []
        self.depth = 0
        self._title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.depth += 1
        if self.depth and tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        self._title = bool(self.depth) and tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.depth -= 1
        self._title = False

    def handle_data(self, data: str) -> None:
        if self._title:
            self.titles.append(data)


def picture_of(store: ox.Store, organization: str) -> Lineage:
    rows = select(store, CATALOG, "lineage", focus=ox.NamedNode(ORG + organization))
    found = lineage(rows, 2026)
    assert found is not None
    return found


def served(server: LiveServer, path: str) -> Picture:
    response = get(server, path, headers={"accept": "text/html"})
    assert response.status_code == 200
    parsed = Picture()
    parsed.feed(response.text)
    assert parsed.links, f"no picture on {path}"
    return parsed


def test_dates_keep_their_precision_and_disagreements_show() -> None:
    assert settled(["1957", "1957-01-01"]) == settled(["1957-01-01"])
    both = settled(["1956", "1957-01-01"])
    assert both is not None and both.disputed and both.text == "1956 or 1957-01-01"
    assert both.year == 1956
    year = settled(["1979"])
    assert year is not None and year.text == "1979" and not year.disputed
    assert settled([]) is None


def test_core_comes_from_three_divisions_that_end_where_it_begins(
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    picture = picture_of(shipped_store, "core")
    lanes = {lane.iri.removeprefix(ORG): lane for lane in picture.lanes}
    assert set(lanes) == {"alcts", "lita", "llama", "core"}
    assert lanes["alcts"].start == 1957 and lanes["alcts"].end == 2020
    assert lanes["core"].end is None and lanes["lita"].founded is None
    merger = [m for m in picture.marks if m.iri.endswith("core-merger-2020")]
    assert merger and merger[0].when.text == "2020-09-01"
    assert {o.removeprefix(ORG) for o in merger[0].originals} == {"alcts", "lita", "llama"}
    # The 2009 merger is given as 2009 by one source and 2009-02-01 by another: one date.
    altaff = picture_of(shipped_store, "altaff")
    founding = next(m for m in altaff.marks if m.iri.endswith("altaff-merger-2009"))
    assert founding.when.text == "2009-02-01" and not founding.when.disputed


@pytest.mark.parametrize("organization", ["core", "altaff", "rusa"])
def test_the_page_draws_every_organization_and_event_with_its_date(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
    organization: str,
) -> None:
    picture = picture_of(shipped_store, organization)
    drawn = served(server, f"/org/{organization}")
    for lane in picture.lanes:
        assert lane.href in drawn.links, lane.name
    for mark in picture.marks:
        assert mark.href in drawn.links
        assert any(mark.when.text in title for title in drawn.titles), mark.when.text


def test_an_organization_without_events_has_no_picture(server: LiveServer) -> None:
    response = get(server, "/org/ala-store", headers={"accept": "text/html"})
    assert response.status_code == 200 and "<svg" not in response.text


def test_the_history_of_ala_holds_its_divisions_and_their_years(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    rows = select(shipped_store, CATALOG, "history")
    picture = lineage(rows, 2026)
    assert picture is not None and len(picture.lanes) > 12
    drawn = served(server, "/history")
    assert {lane.href for lane in picture.lanes} <= set(drawn.links)
    assert "/org/ala" in drawn.links and "/org/yalsa" in drawn.links
    years = {int(y) for t in drawn.titles for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", t)}
    assert {1876, 1957, 2009, 2020} <= years
    home = get(server, "/", headers={"accept": "text/html"}).text
    assert 'href="/history"' in home
