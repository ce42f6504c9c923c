"""A SPARQL 1.1 store on another machine as the dataset: read by queries, written by updates."""
