"""The linked-data face of the server: the home page, a page per IRI, VoID, the sitemap, the dumps.

An entity ``<BASE + rest>`` is answered at ``/{rest}`` in the representation content
negotiation picks (``Vary: Accept``), or the one a file extension or ``?format=`` names. Every
answer links its alternates in a ``Link`` header, and says which IRI it ``describes``.
The catch-all route comes last: the app includes this router after every other one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from importlib.resources import files

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from rdflib.namespace import RDF, SDO

from libassoc import dumps
from libassoc.catalog import select
from libassoc.dataset import Dataset
from libassoc.engine.problem import HttpProblem
from libassoc.namespaces import BASE, SHAPES_IRI
from libassoc.store import DEFAULT_GRAPH
from libassoc.void import dataset_iri
from libassoc.web import dumps_route
from libassoc.web.describe import Description, describe
from libassoc.web.dumps_route import Generation, current_generation
from libassoc.web.jsonld import schema_org
from libassoc.web.kept_pages import not_modified, tagged
from libassoc.web.lineage import Lineage, lineage, sentence
from libassoc.web.representation import (
    HTML,
    READ,
    REPRESENTATIONS,
    Representation,
    by_accept,
    by_key,
    split_extension,
)
from libassoc.web.shapes_document import load_shapes_store, shapes_description
from libassoc.web.sitemap import part_count, sitemap, sitemap_part
from libassoc.web.state import service_of
from libassoc.web.templating import render
from libassoc.web.view import Link, href, page

TYPE = ox.NamedNode(str(RDF.type))
ORGANIZATION = ox.NamedNode(str(SDO.Organization))
STYLE = files("libassoc.web").joinpath("static/style.css").read_bytes()
VOID_PATH = "/.well-known/void"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.shapes = load_shapes_store(app.state.config.paths.shapes)
    yield


router = APIRouter(lifespan=lifespan)
router.include_router(dumps_route.router)


@dataclass(frozen=True)
class Alternate:
    href: str
    media_type: str
    label: str


def alternates(path: str, by_format: bool = False) -> list[Alternate]:
    """Every representation of the page at ``path``: as a file extension, or as ``?format=``."""
    return [
        Alternate(
            f"{path}?format={r.keys[0]}" if by_format else f"{path}.{r.extension}",
            r.media_type,
            r.name if r is not HTML else "web page",
        )
        for r in REPRESENTATIONS
    ]


def _link_header(links: Iterable[Alternate], describes: str | None) -> str:
    parts = [f'<{a.href}>; rel="alternate"; type="{a.media_type}"' for a in links]
    parts.append(f'<{VOID_PATH}>; rel="describedby"')
    if describes:
        parts.append(f'<{describes}>; rel="describes"')
    return ", ".join(parts)


def _choose(request: Request, by_extension: Representation | None) -> Representation:
    wanted = request.query_params.get("format")
    if wanted:
        chosen = by_key(wanted)
        if chosen is None:
            offered = ", ".join(r.keys[0] for r in REPRESENTATIONS)
            raise HttpProblem(406, f"format={wanted!r} is not offered. Offered: {offered}.")
        return chosen
    if by_extension:
        return by_extension
    chosen = by_accept(request.headers.get("accept"))
    if chosen is None:
        offered = ", ".join(r.media_type for r in REPRESENTATIONS)
        raise HttpProblem(
            406,
            f"None of Accept: {request.headers.get('accept')!r} is offered here. "
            f"Offered: {offered}.",
            headers={"vary": "Accept"},
        )
    return chosen


def _rdf_response(
    items: list[ox.Quad] | list[ox.Triple], representation: Representation, headers: dict[str, str]
) -> Response:
    if representation.dump_format is None:
        raise TypeError("not an RDF representation")
    body = dumps.serialize(items, representation.dump_format)
    return Response(body, media_type=representation.content_type, headers=headers)


def _headers(links: list[Alternate], describes: str | None) -> dict[str, str]:
    return {"vary": "Accept", "link": _link_header(links, describes)}


@dataclass(frozen=True)
class TreeNode:
    link: Link
    children: tuple[TreeNode, ...]


def organization_tree(rows: Iterable[ox.QuerySolution]) -> list[TreeNode]:
    """Every organization, each division under the organization it is part of."""
    names: dict[str, str] = {}
    children: dict[str, list[str]] = defaultdict(list)
    parents: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        organization = row["organization"]
        if not isinstance(organization, ox.NamedNode):
            continue
        names.setdefault(organization.value, str(getattr(row["name"], "value", "")))
        parent = row["parent"]
        if isinstance(parent, ox.NamedNode) and organization.value not in children[parent.value]:
            children[parent.value].append(organization.value)
            parents[organization.value].add(parent.value)

    def node(iri: str, seen: frozenset[str]) -> TreeNode:
        below = [c for c in children.get(iri, []) if c in names and c not in seen]
        ordered = sorted(below, key=lambda c: names[c].lower())
        return TreeNode(Link(names[iri], href(iri)), tuple(node(c, seen | {c}) for c in ordered))

    roots = [o for o in names if not parents[o] & names.keys()]
    return [node(o, frozenset({o})) for o in sorted(roots, key=lambda o: names[o].lower())]


async def _charged(
    request: Request, work: Callable[[], Response], published: Generation | None = None
) -> Response:
    """The page ``work`` builds, kept (web/kept_pages.py) or built on a thread, its processor
    time charged to the client's share of query time: a page costs the server as a query does.
    429 once the share is spent (engine/fairness.py); 304 when the client has it already.
    ``published``: the generation of the dumps the page is about, if any."""
    service = service_of(request)
    service.check_share(request)
    variant = published.folder.name if published is not None else ""
    pages = service.pages
    kept, generation = pages.get(request, variant) if pages is not None else (None, 0)
    if kept is not None:
        return not_modified(request, kept)

    def built() -> Response:
        response = work()
        if response.status_code == 200:
            tagged(response)  # here rather than on the event loop, as answers are (evaluation.py)
        return response

    response = await service.on_share(request, built)
    if pages is not None:
        pages.keep(request, generation, response, variant)
    return not_modified(request, response)


@router.api_route("/", methods=READ, include_in_schema=False)
async def home(request: Request) -> Response:
    """The organizations the graph is about, then those it knows only as publishers of sources."""

    def work() -> Response:
        catalog = request.app.state.catalog
        with service_of(request).reading() as store:
            rows = list(select(store, catalog, "organizations"))
            publishers = {row["organization"] for row in select(store, catalog, "publishers-only")}
        return render(
            request,
            "home.html",
            organizations=organization_tree(r for r in rows if r["organization"] not in publishers),
            publishers=organization_tree(r for r in rows if r["organization"] in publishers),
            alternates=[],
        )

    return await _charged(request, work)


@router.api_route("/history", methods=READ, include_in_schema=False)
async def history(request: Request) -> Response:
    """ALA, its units and affiliates over time, in one picture."""

    def work() -> Response:
        with service_of(request).reading() as store:
            rows = select(store, request.app.state.catalog, "history")
            picture = lineage(rows, date.today().year)
        return render(request, "history.html", picture=picture, sentence=sentence, alternates=[])

    return await _charged(request, work)


@router.api_route("/page-assets/style.css", methods=READ, include_in_schema=False)
def style() -> Response:
    return Response(STYLE, media_type="text/css", headers={"cache-control": "max-age=3600"})


@router.api_route("/sitemap.xml", methods=READ, include_in_schema=False)
async def sitemap_xml(request: Request) -> Response:
    """The pages of the newest generation whose dumps are written, listed with them."""
    published = await current_generation(request)

    def work() -> Response:
        listed = sitemap(published.pages, str(request.base_url))
        return Response(listed, media_type="application/xml")

    return await _charged(request, work, published)


@router.api_route("/sitemap-{number:int}.xml", methods=READ, include_in_schema=False)
async def sitemap_part_xml(request: Request, number: int) -> Response:
    """One part of the sitemap, when the pages are too many for one file."""
    published = await current_generation(request)
    if not 1 <= number <= part_count(len(published.pages)):
        raise HttpProblem(404, f"The sitemap has no part {number}; its index is /sitemap.xml.")

    def work() -> Response:
        listed = sitemap_part(published.pages, str(request.base_url), number)
        return Response(listed, media_type="application/xml")

    return await _charged(request, work, published)


@router.api_route("/robots.txt", methods=READ, include_in_schema=False)
def robots(request: Request) -> Response:
    return Response(
        f"User-agent: *\nAllow: /\nSitemap: {request.base_url}sitemap.xml\n",
        media_type="text/plain",
    )


def _html_page(
    request: Request,
    description: Description,
    store: Dataset,
    links: list[Alternate],
    picture: Lineage | None = None,
) -> Response:
    shown = page(store, description)
    jsonld = schema_org(description.document, list(description.own))
    if len(jsonld) <= 2:  # only @context and @id: no schema.org fact to tell search engines
        jsonld = {}
    headers = _headers(links, description.document.value)
    return render(
        request,
        "entity.html",
        page=shown,
        jsonld=jsonld,
        alternates=links,
        headers=headers,
        picture=picture,
        sentence=sentence,
    )


def _lineage(request: Request, view: Dataset, description: Description) -> Lineage | None:
    """The lineage picture of an organization's page (None for anything else)."""
    if not any(q.predicate == TYPE and q.object == ORGANIZATION for q in description.own):
        return None
    rows = select(view, request.app.state.catalog, "lineage", focus=description.document)
    picture = lineage(rows, date.today().year)
    return picture if picture is not None and picture.marks else None


def _respond(
    request: Request,
    description: Description,
    store: Dataset,
    path: str,
    by_extension: Representation | None,
    view: Dataset,
) -> Response:
    representation = _choose(request, by_extension)
    links = alternates(path)
    if representation is HTML:
        picture = _lineage(request, view, description)
        return _html_page(request, description, store, links, picture)
    dump_format = representation.dump_format
    items = (
        description.dataset()
        if dump_format and dump_format.carries_graphs
        else description.triples()
    )
    return _rdf_response(items, representation, _headers(links, description.document.value))


@router.api_route(VOID_PATH, methods=READ, include_in_schema=False)
async def void(request: Request) -> Response:
    """The VoID of the newest generation whose dumps are written: it describes them too."""
    published = await current_generation(request)
    triples = published.void
    representation = _choose(request, None)
    links = alternates(VOID_PATH, by_format=True)
    service = service_of(request)

    def work() -> Response:
        if representation is not HTML:
            return _rdf_response(triples, representation, _headers(links, None))
        with service.reading() as store:
            description = _void_description(store, triples)
            labelled = service.labelled(store, description.quads)
            return _html_page(request, description, labelled, links)

    return await _charged(request, work, published)


def _void_description(store: Dataset, triples: list[ox.Triple]) -> Description:
    """The dataset description laid out as a page: the dataset first, then each node it names."""
    dataset = dataset_iri(store)
    others = {t.subject for t in triples if isinstance(t.subject, ox.NamedNode)} - {dataset}
    quads = tuple(ox.Quad(t.subject, t.predicate, t.object, DEFAULT_GRAPH) for t in triples)
    return Description(dataset, (dataset, *sorted(others, key=str)), quads)


def _find(request: Request, store: Dataset, rest: str) -> tuple[Description, Dataset] | None:
    if rest == SHAPES_IRI[len(BASE) :]:
        shapes = request.app.state.shapes
        return shapes_description(shapes), shapes
    try:
        document = ox.NamedNode(BASE + rest)
    except ValueError:  # a path no IRI of ours can have (a quote, a space, a bad %-escape)
        return None
    service = service_of(request)
    around = service.around(store, document)
    found = describe(around, service.hashed, document)
    return (found, around) if found else None


@router.api_route("/{rest:path}", methods=READ, include_in_schema=False)
async def entity(request: Request, rest: str) -> Response:
    return await _charged(request, partial(_entity, request, rest))


def _entity(request: Request, rest: str) -> Response:
    with service_of(request).reading() as data:
        found = _find(request, data, rest)
        by_extension = None
        if found is None:
            stem, by_extension = split_extension(rest)
            if by_extension:
                rest = stem
                found = _find(request, data, rest)
        if found is None:
            raise HttpProblem(404, f"Nothing is known about <{BASE}{rest}>.")
        description, store = found
        return _respond(request, description, store, "/" + rest, by_extension, data)
