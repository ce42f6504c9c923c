"""The web layer: a thin FastAPI app over the core. Nothing in the core imports it."""
