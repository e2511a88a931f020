"""voc-nlp: voice-of-the-customer analysis for English and French feedback.

    import voc_nlp
    nlp = voc_nlp.load()                       # the default pipeline (or a config file / folder)
    frame = nlp.enrich(df)                     # DataFrame in, DataFrame of records out
    records = nlp.enrich_texts(["Parcel late again"])
    for record in nlp.pipe(dicts, batch_size=64): ...

Importing the package loads no model and no heavy library; `load()` does.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # Pipeline pulls in pandas and the I/O stack, the schema pyarrow; import
    # them on first use so `import voc_nlp` stays light.
    if name == "Pipeline":
        from voc_nlp.pipeline import Pipeline

        return Pipeline
    if name in ("SCHEMA_VERSION", "EnrichedRecord", "Unit"):
        from voc_nlp import schema

        return getattr(schema, name)
    raise AttributeError(name)


def load(path=None, overrides: dict | None = None, profile: str | None = None):
    """The enrichment pipeline: the default one, or the one of a config file
    or of a pipeline folder (holding config.yaml). Loads the models.
    `profile`: one of the config's named profiles (the default config: "fast",
    the default, or "accurate")."""
    from voc_nlp.pipeline import Pipeline

    if profile:
        overrides = {**(overrides or {}), "profile": profile}
    return Pipeline.load(path, overrides=overrides)


__all__ = ["EnrichedRecord", "Pipeline", "SCHEMA_VERSION", "Unit", "load"]
