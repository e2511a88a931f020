"""Properties of a clustering of the written themes that survive numeric noise.

UMAP and HDBSCAN give slightly different clusterings on other machines and
library versions (other BLAS, other numba): one run finds a theme as one
topic, another splits it into two pure topics. The tests therefore check
what matters to an analyst, with a margin, not one exact labelling:

- topics are pure: a topic holds one written theme (purity),
- few texts are left as noise (coverage),
- the themes are told apart (adjusted Rand index; two themes merged into one
  topic give 0.56, a theme split into two pure topics 0.87, a perfect
  clustering 1.0),
- a new text goes to a topic of its own theme.
"""

from collections import Counter

from sklearn.metrics import adjusted_rand_score

MIN_PURITY = 0.9
MIN_COVERAGE = 0.8
MIN_ARI = 0.7


def topic_themes(labels, gold) -> dict[int, str]:
    """{topic id: the theme most of its texts belong to}, noise (-1) left out."""
    members: dict[int, Counter] = {}
    for topic, theme in zip(labels, gold):
        if topic >= 0:
            members.setdefault(int(topic), Counter())[theme] += 1
    return {topic: votes.most_common(1)[0][0] for topic, votes in members.items()}


def separation(labels, gold) -> dict[str, float]:
    """Purity, coverage and adjusted Rand index of `labels` against `gold`."""
    labels = [int(t) for t in labels]
    owner = topic_themes(labels, gold)
    clustered = [(t, g) for t, g in zip(labels, gold) if t >= 0]
    return {
        "purity": sum(owner[t] == g for t, g in clustered) / max(len(clustered), 1),
        "coverage": len(clustered) / len(labels),
        "ari": adjusted_rand_score(gold, labels),
    }


def assert_themes_separated(labels, gold) -> None:
    figures = separation(labels, gold)
    detail = (figures, {theme: dict(Counter(int(t) for t, g in zip(labels, gold) if g == theme))
                        for theme in dict.fromkeys(gold)})
    assert figures["purity"] >= MIN_PURITY, detail
    assert figures["coverage"] >= MIN_COVERAGE, detail
    assert figures["ari"] >= MIN_ARI, detail
    # Every theme is found: it owns at least one topic.
    assert set(topic_themes(labels, gold).values()) == set(gold), detail


def assert_new_texts_join_their_themes(assigned, new_gold, labels, gold, max_wrong: int = 0) -> None:
    """Each new text lands in a topic owned by its theme (at most `max_wrong` elsewhere)."""
    owner = topic_themes(labels, gold)
    wrong = [(theme, int(topic)) for topic, theme in zip(assigned, new_gold)
             if owner.get(int(topic)) != theme]
    assert len(wrong) <= max_wrong, (wrong, owner)
