# One validated write, sent to the remote store as one request: what it removes, then what it adds.
# The two placeholders below become GRAPH <iri> { ... } blocks of N-Triples, written by the
# serializer from parsed terms, never from a client's text.
DELETE DATA { $removed } ;
INSERT DATA { $added }
