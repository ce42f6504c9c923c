"""``sitemap.xml``: every page the server has, one URL each, for search engines."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pyoxigraph as ox

from libassoc.namespaces import BASE, SITEMAP_XMLNS
from libassoc.store import merged_triples

SERVICE_PAGES = ("", "ontology", "shapes", ".well-known/void", "dumps/")


def document_paths(store: ox.Store) -> list[str]:
    """The path of every IRI of ours the store mentions, its hash part dropped (one page each)."""
    paths: set[str] = set(SERVICE_PAGES)
    for triple in merged_triples(store):
        for node in (triple.subject, triple.object):
            if isinstance(node, ox.NamedNode) and node.value.startswith(BASE):
                paths.add(node.value[len(BASE) :].partition("#")[0])
    return sorted(paths)


def sitemap(store: ox.Store, site: str) -> str:
    """The sitemap, with ``site`` (``http://host:port/``) before each path."""
    urls = "".join(
        f"  <url><loc>{escape(site + path)}</loc></url>\n" for path in document_paths(store)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="{SITEMAP_XMLNS}">\n'
        f"{urls}</urlset>\n"
    )
