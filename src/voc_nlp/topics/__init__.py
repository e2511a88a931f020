"""Pain-point topics: discovered on a batch, labelled, saved, reused on the next.

- `model.PainPointTopics`: BERTopic over the shared unit embeddings, nearest-
  centroid assignment with a similarity floor, safetensors + JSON persistence.
- `space.IntentSpace`: the space topics are clustered in (a small trained map
  over the shared embeddings that separates customer intents).
- `labels`: keywords, key phrases and readable labels (c-TF-IDF, EN+FR stop words).
- `trends`: counts per period and emerging flags.
- `collect`: the streaming side used by `voc-nlp enrich --topics`.
"""

from voc_nlp.topics.model import PainPointTopics, Topic
from voc_nlp.topics.space import IntentSpace
from voc_nlp.topics.trends import TopicCounts, emerging, period_key

__all__ = ["IntentSpace", "PainPointTopics", "Topic", "TopicCounts", "emerging", "period_key"]
