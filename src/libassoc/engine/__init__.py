"""The query engine: where SPARQL is evaluated, under a time limit, on a checkpoint of the store.

It knows nothing of HTTP: the web layer and the command line hand it jobs and get answers back.
"""
