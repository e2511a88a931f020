"""voc-nlp: voice-of-the-customer analysis for English and French feedback."""

from voc_nlp.schema import SCHEMA_VERSION, EnrichedRecord, Unit

__version__ = "0.1.0"


def __getattr__(name: str):
    # Pipeline pulls in pandas and the I/O stack; import it on first use so
    # `import voc_nlp` stays light.
    if name == "Pipeline":
        from voc_nlp.pipeline import Pipeline

        return Pipeline
    raise AttributeError(name)


__all__ = ["EnrichedRecord", "Pipeline", "SCHEMA_VERSION", "Unit"]
