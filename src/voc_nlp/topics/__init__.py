"""Pain-point topics: discovered on a batch, labelled, saved, reused on the next.

- `model.PainPointTopics`: BERTopic over the shared unit embeddings, nearest-
  centroid assignment with a similarity floor, safetensors + JSON persistence.
- `space.IntentSpace`: the space topics are clustered in (a small trained map
  over the shared embeddings that separates customer intents).
- `labels`: keywords, key phrases and readable labels (c-TF-IDF, EN+FR stop words).
- `trends`: counts per period and emerging flags.
- `collect`: the streaming side used by `voc-nlp enrich --topics`.
"""

# The model pulls in scikit-learn, BERTopic and pandas (over a second to
# import): loaded on first use, so `voc-nlp enrich` without topics never pays.
_LAZY = {"PainPointTopics": "model", "Topic": "model", "IntentSpace": "space",
         "TopicCounts": "trends", "emerging": "trends", "period_key": "trends"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"voc_nlp.topics.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["IntentSpace", "PainPointTopics", "Topic", "TopicCounts", "emerging", "period_key"]
