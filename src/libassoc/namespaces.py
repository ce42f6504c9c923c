"""Every IRI the code needs is spelled here, and only here.

The entity base is ``https://w3id.org/libassoc/``: a permanent-identifier space that
can be redirected to wherever the service runs. An entity ``<BASE + rest>`` is served
at ``/{rest}`` by the web layer.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    VOID,
    XSD,
    DefinedNamespace,
)

BASE = "https://w3id.org/libassoc/"
ONTOLOGY_IRI = BASE + "ontology"
SHAPES_IRI = BASE + "shapes"

ENTITY = Namespace(BASE)
GRAPH = Namespace(BASE + "graph/")
ORG = Namespace("http://www.w3.org/ns/org#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")  # W3C IRIs naming each syntax
SHAPES = Namespace(SHAPES_IRI + "#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
MEDIA_TYPES = Namespace("https://www.iana.org/assignments/media-types/")
SITEMAP_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SPARQL_ENDPOINT = BASE + "sparql"
DUMPS = BASE + "dumps/"


class LA(DefinedNamespace):
    """The project's own ontology (``ontology/libassoc.ttl``): only what schema.org and ORG lack."""

    _fail = True
    _NS = Namespace(ONTOLOGY_IRI + "#")

    # classes
    LibraryAssociation: URIRef
    Division: URIRef
    Office: URIRef
    MissionStatement: URIRef
    DiversityStatement: URIRef
    Founding: URIRef
    Merger: URIRef
    Renaming: URIRef
    Dissolution: URIRef

    # counts
    memberCount: URIRef
    attendeeCount: URIRef
    populationServed: URIRef
    supporterCount: URIRef
    areaServedCount: URIRef
    yearsOfService: URIRef
    countQualifier: URIRef
    sourceWording: URIRef

    # statements, values, categories
    mission: URIRef
    coreValue: URIRef
    strategicPriority: URIRef
    membershipOpenTo: URIRef
    pronunciation: URIRef
    formerUrl: URIRef
    nameBefore: URIRef
    nameAfter: URIRef


VOCABULARY_PREFIXES: dict[str, str] = {
    "la": str(LA._NS),
    "schema": str(SDO),
    "org": str(ORG),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "void": str(VOID),
    "dcat": str(DCAT),
    "sd": str(SD),
    "sh": str(SH),
}

# Serializations use only the vocabulary prefixes: entity IRIs contain slashes, which a
# prefixed name would have to escape (``lae:org\/ala``), and some parsers reject that.
PREFIXES: dict[str, str] = {**VOCABULARY_PREFIXES, "lae": BASE}


def graph_iri(stem: str) -> URIRef:
    """The named graph that holds what one source file states."""
    return GRAPH[stem]


# The graph of ontology/libassoc.ttl: the file stem names it, like every other graph's.
ONTOLOGY_GRAPH = graph_iri("libassoc")


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the vocabulary prefixes (and only those) on ``graph``."""
    for prefix, namespace in VOCABULARY_PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
