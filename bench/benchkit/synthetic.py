"""A larger dataset, generated deterministically, that conforms to the shapes.

Organizations (with divisions nested a few levels deep, and federations), people, events with
their attendees, essays, places and focus areas, spread over 16 named graphs of their own, with some
triples stated in two graphs so that the merged default graph has to deduplicate. Only IRIs
under ``org/synthetic-``, ``person/synthetic-`` ... are used, so it can sit beside the real data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import RDF, SDO, SKOS, XSD

from libassoc.namespaces import ENTITY, LA

GRAPHS = 16
SEED = 1876
REGIONS = ("Northern", "Southern", "Eastern", "Western", "Central", "Coastal", "Mountain", "Lakes")
KINDS = (
    "Library Association",
    "Library Council",
    "Archives Network",
    "Library Consortium",
    "Society of Librarians",
    "School Library Guild",
    "Law Library Association",
    "Museum and Library Alliance",
)
GIVEN = ("Ada", "Ben", "Cora", "Dan", "Eva", "Finn", "Gail", "Hugo", "Iris", "Jon")
FAMILY = ("Adams", "Brown", "Clark", "Dewey", "Evans", "Ford", "Green", "Hill", "Irving", "Jones")


def iri(value: object) -> ox.NamedNode:
    return ox.NamedNode(str(value))


A = iri(RDF.type)
S = {name: iri(SDO[name]) for name in (
    "Organization", "Person", "Place", "City", "State", "name", "alternateName", "description",
    "foundingDate", "foundingLocation", "areaServed", "knowsAbout", "url", "parentOrganization",
    "subOrganization", "memberOf", "member", "affiliation", "birthDate", "containedInPlace",
    "Event", "startDate", "location", "organizer", "attendee", "CreativeWork", "author",
    "publisher", "dateCreated",
)}  # fmt: skip


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def typed(text: str, datatype: object) -> ox.Literal:
    return ox.Literal(text, datatype=iri(datatype))


@dataclass(frozen=True)
class Sizes:
    """How many of each; the defaults give about 100,000 triples.

    Most triples are people, events and works: organizations, memberships and parent links
    are few because the shapes check each of those with a SPARQL constraint that pyshacl
    parses again for every node (tens of milliseconds each), and the server validates at start.
    """

    organizations: int = 300
    people: int = 12000
    events: int = 2500
    works: int = 2500
    attendees: int = 8
    states: int = 20
    cities: int = 200
    focus_areas: int = 40
    federations: int = 10

    def scaled(self, factor: float) -> Sizes:
        """The same mix, with ``factor`` times as many organizations, people, events and works."""
        return replace(
            self,
            organizations=max(self.federations + 1, round(self.organizations * factor)),
            people=max(1, round(self.people * factor)),
            events=round(self.events * factor),
            works=round(self.works * factor),
        )


Stated = tuple[int, ox.Triple]  # the graph (0..GRAPHS-1) and the triple it states


def _places(sizes: Sizes) -> Iterator[Stated]:
    for k in range(sizes.states):
        state = iri(ENTITY[f"place/synthetic-state-{k}"])
        yield from _each(k, state, [(A, S["Place"]), (A, S["State"])])
        yield k % GRAPHS, ox.Triple(state, S["name"], en(f"Synthetic State {k}"))
    for k in range(sizes.cities):
        city = iri(ENTITY[f"place/synthetic-city-{k}"])
        state = iri(ENTITY[f"place/synthetic-state-{k % sizes.states}"])
        yield from _each(k, city, [(A, S["Place"]), (A, S["City"]), (S["containedInPlace"], state)])
        yield k % GRAPHS, ox.Triple(city, S["name"], en(f"Synthetic City {k}"))


def _focus_areas(sizes: Sizes) -> Iterator[Stated]:
    scheme = iri(ENTITY["scheme/synthetic-focus-areas"])
    yield 0, ox.Triple(scheme, A, iri(SKOS.ConceptScheme))
    yield 0, ox.Triple(scheme, iri(SKOS.prefLabel), en("synthetic focus areas"))
    for k in range(sizes.focus_areas):
        concept = iri(ENTITY[f"concept/synthetic-focus-area/topic-{k}"])
        yield from _each(k, concept, [(A, iri(SKOS.Concept)), (iri(SKOS.inScheme), scheme)])
        yield k % GRAPHS, ox.Triple(concept, iri(SKOS.prefLabel), en(f"topic {k}"))


def _each(
    index: int, subject: ox.NamedNode, pairs: list[tuple[ox.NamedNode, ox.NamedNode]]
) -> Iterator[Stated]:
    for predicate, value in pairs:
        yield index % GRAPHS, ox.Triple(subject, predicate, value)


def _organization(i: int, sizes: Sizes, rng: random.Random) -> Iterator[Stated]:
    org = iri(ENTITY[f"org/synthetic-{i:05d}"])
    g = i % GRAPHS
    region, kind = REGIONS[i % len(REGIONS)], KINDS[(i // len(REGIONS)) % len(KINDS)]
    city = rng.randrange(sizes.cities)
    state = f"Synthetic State {city % sizes.states}"
    name = f"{region} {kind} {i}"
    acronym = "".join(word[0] for word in name.split() if word[0].isupper()) + str(i)
    is_division = i >= sizes.federations and i % 3 == 2
    for predicate, value in (
        (A, S["Organization"]),
        (A, iri(LA.Division if is_division else LA.LibraryAssociation)),
        (S["name"], en(name)),
        (S["alternateName"], ox.Literal(acronym)),
        (S["description"], en(f"A synthetic {kind.lower()} of {state}, made for benchmarks.")),
        (S["foundingDate"], typed(str(1850 + rng.randrange(170)), XSD.gYear)),
        (S["foundingLocation"], iri(ENTITY[f"place/synthetic-city-{city}"])),
        (S["areaServed"], iri(ENTITY[f"place/synthetic-state-{city % sizes.states}"])),
        (S["url"], typed(f"https://example.org/synthetic/{i}", XSD.anyURI)),
    ):
        yield g, ox.Triple(org, predicate, value)
    for topic in sorted({rng.randrange(sizes.focus_areas) for _ in range(2)}):
        concept = iri(ENTITY[f"concept/synthetic-focus-area/topic-{topic}"])
        yield g, ox.Triple(org, S["knowsAbout"], concept)
    if i % 10 == 0:  # a second source states the same name: the merge must show it once
        yield (g + 1) % GRAPHS, ox.Triple(org, S["name"], en(name))
    if is_division:
        parent = iri(ENTITY[f"org/synthetic-{rng.randrange(i):05d}"])
        yield g, ox.Triple(org, S["parentOrganization"], parent)
        yield g, ox.Triple(parent, S["subOrganization"], org)
    elif i >= sizes.federations and i % 3 == 1:
        federation = iri(ENTITY[f"org/synthetic-{rng.randrange(sizes.federations):05d}"])
        yield g, ox.Triple(org, S["memberOf"], federation)
        yield g, ox.Triple(federation, S["member"], org)


def _org(sizes: Sizes, rng: random.Random) -> ox.NamedNode:
    return iri(ENTITY[f"org/synthetic-{rng.randrange(sizes.organizations):05d}"])


def _person_iri(j: int) -> ox.NamedNode:
    return iri(ENTITY[f"person/synthetic-{j:05d}"])


def _person(j: int, sizes: Sizes, rng: random.Random) -> Iterator[Stated]:
    person = _person_iri(j)
    name = f"{GIVEN[j % len(GIVEN)]} {FAMILY[(j // len(GIVEN)) % len(FAMILY)]} {j}"
    for predicate, value in (
        (A, S["Person"]),
        (S["name"], ox.Literal(name)),
        (S["affiliation"], _org(sizes, rng)),
        (S["birthDate"], typed(str(1820 + rng.randrange(180)), XSD.gYear)),
    ):
        yield j % GRAPHS, ox.Triple(person, predicate, value)


def _event(k: int, sizes: Sizes, rng: random.Random) -> Iterator[Stated]:
    year = 1876 + rng.randrange(148)
    event = iri(ENTITY[f"event/synthetic-conference-{k}-{year}"])
    day = f"{year}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
    for predicate, value in (
        (A, S["Event"]),
        (S["name"], en(f"Synthetic Conference {k} ({year})")),
        (S["startDate"], typed(day, XSD.date)),
        (S["location"], iri(ENTITY[f"place/synthetic-city-{rng.randrange(sizes.cities)}"])),
        (S["organizer"], _org(sizes, rng)),
    ):
        yield k % GRAPHS, ox.Triple(event, predicate, value)
    for j in sorted({rng.randrange(sizes.people) for _ in range(sizes.attendees)}):
        yield k % GRAPHS, ox.Triple(event, S["attendee"], _person_iri(j))


def _work(k: int, sizes: Sizes, rng: random.Random) -> Iterator[Stated]:
    work = iri(ENTITY[f"work/synthetic-essay-{k}"])
    topic = KINDS[k % len(KINDS)].lower()
    for predicate, value in (
        (A, S["CreativeWork"]),
        (S["name"], en(f"Essay {k} on the {topic}")),
        (S["author"], _person_iri(rng.randrange(sizes.people))),
        (S["publisher"], _org(sizes, rng)),
        (S["dateCreated"], typed(str(1900 + rng.randrange(124)), XSD.gYear)),
    ):
        yield k % GRAPHS, ox.Triple(work, predicate, value)


def statements(sizes: Sizes) -> Iterator[Stated]:
    """Every (graph, triple) of the dataset, the same for the same sizes."""
    rng = random.Random(SEED)  # noqa: S311 (reproducible data, not secrets)
    yield from _places(sizes)
    yield from _focus_areas(sizes)
    for i in range(sizes.organizations):
        yield from _organization(i, sizes, rng)
    for j in range(sizes.people):
        yield from _person(j, sizes, rng)
    for k in range(sizes.events):
        yield from _event(k, sizes, rng)
    for k in range(sizes.works):
        yield from _work(k, sizes, rng)


def write(folder: Path, sizes: Sizes) -> None:
    """Write one N-Triples file per graph into ``folder``."""
    by_graph: list[list[ox.Triple]] = [[] for _ in range(GRAPHS)]
    for graph, triple in statements(sizes):
        by_graph[graph].append(triple)
    folder.mkdir(parents=True, exist_ok=True)
    for graph, triples in enumerate(by_graph):
        path = folder / f"synthetic-{graph:02d}.nt"
        path.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
