"""The HTTP service (`voc-nlp serve`): FastAPI app, enrichment worker, metrics, JSON logs.

Needs the `[service]` extra (FastAPI, uvicorn); `app.create_app()` builds the app.
"""

# voc-nlp is not on PyPI: the extra comes with the wheel or the project folder.
INSTALL_HINT = ("install voc-nlp with its [service] extra: `make install` does; elsewhere "
                "pip install 'PATH[service]', PATH the voc-nlp wheel or project folder")
