"""Benchmark libassoc's SPARQL endpoint against rdflib-endpoint 0.6.3; writes bench/RESULTS.md.

``python bench/run.py [--quick]``; ``--help`` lists the options, ``bench/README.md`` the method.
"""

from benchkit.main import main

if __name__ == "__main__":
    raise SystemExit(main())
