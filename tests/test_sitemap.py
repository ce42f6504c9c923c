"""The sitemap split as the protocol asks: at most a given number of URLs a file, an index above."""

from __future__ import annotations

from xml.etree import ElementTree

from libassoc.namespaces import SITEMAP_XMLNS
from libassoc.web.sitemap import URLS_PER_FILE, part_count, sitemap, sitemap_part

SITE = "http://example.org/"
NS = {"s": SITEMAP_XMLNS}


def locations(document: str, element: str) -> list[str]:
    root = ElementTree.fromstring(document)  # noqa: S314 (our own output)
    assert root.tag == f"{{{SITEMAP_XMLNS}}}{element}"
    return [loc.text or "" for loc in root.iterfind("*/s:loc", NS)]


def test_the_protocol_limit() -> None:
    assert URLS_PER_FILE == 50_000
    assert part_count(50_000) == 0
    assert part_count(50_001) == 2
    assert part_count(173_666) == 4


def test_pages_that_fit_are_listed_in_the_sitemap_itself() -> None:
    paths = ["", "org/ala", "org/ala-core?x=1&y=2"]
    assert locations(sitemap(paths, SITE, limit=3), "urlset") == [SITE + p for p in paths]
    assert sitemap_part(paths, SITE, 1, limit=3) is None


def test_more_pages_make_an_index_of_parts_that_list_each_page_once() -> None:
    paths = [f"org/{n:02}" for n in range(7)]
    index = locations(sitemap(paths, SITE, limit=3), "sitemapindex")
    assert index == [f"{SITE}sitemap-{n}.xml" for n in (1, 2, 3)]
    listed = []
    for number in (1, 2, 3):
        part = sitemap_part(paths, SITE, number, limit=3)
        assert part is not None
        urls = locations(part, "urlset")
        assert 0 < len(urls) <= 3
        listed += urls
    assert listed == [SITE + p for p in paths]
    assert sitemap_part(paths, SITE, 0, limit=3) is None
    assert sitemap_part(paths, SITE, 4, limit=3) is None
