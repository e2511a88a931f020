# Package data of voc-nlp: installed as voc_nlp.default_pipeline.configs (see pyproject.toml).
