"""The HTTP service (`voc-nlp serve`): FastAPI app, enrichment worker, metrics, JSON logs.

Needs the `[service]` extra (FastAPI, uvicorn); `app.create_app()` builds the app.
"""
