"""The journey trainer's pieces: per-touchpoint thresholds, per-decision settings, linear or MLP heads."""

import numpy as np

from voc_nlp.components.journey import journey_features
from voc_nlp.training.journey import JourneyTrainer, best_thresholds, fit_classifier


def test_best_thresholds_give_each_touchpoint_its_own_cut():
    probs = np.array([[0.9, 0.25, 0.1], [0.75, 0.35, 0.2], [0.45, 0.1, 0.3], [0.3, 0.15, 0.1]])
    y = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0]])
    cuts = best_thresholds(probs, y, ["delivery", "billing", "store"])
    # delivery's positives sit above 0.7, billing's between 0.2 and 0.4: one cut could not serve both.
    assert 0.45 < cuts["delivery"] <= 0.75 and 0.15 < cuts["billing"] <= 0.25
    assert cuts["store"] == 0.5  # no positive to choose on


def test_per_part_settings_change_only_their_decision():
    trainer = JourneyTrainer(l2=0.01, lexical_weight=0.7, per_part={"phase": {"lexical_weight": 0.8, "hidden": 64},
                                                                     "touchpoints": {"lexical_weight": 0.6}})
    assert trainer.part_settings("phase") == {"l2": 0.01, "lexical_weight": 0.8, "balanced": False, "hidden": 64,
                                              "written_weight": 1.0, "seeds": 1, "char_ngrams": None,
                                              "char_max_features": 50000}
    assert trainer.part_settings("intent") == {"l2": 0.01, "lexical_weight": 0.7, "balanced": False, "hidden": 0,
                                               "written_weight": 1.0, "seeds": 1, "char_ngrams": None,
                                               "char_max_features": 50000}
    # Touchpoint sentiment keeps the trainer's own settings, whatever the touchpoints take.
    assert trainer.part_settings("touchpoint_sentiment")["lexical_weight"] == 0.7


def test_the_character_ngram_cap_reaches_each_decisions_word_head():
    x, texts, y = _two_intents()
    texts = [f"{t} order {i}" for i, t in enumerate(texts)]  # more character n-grams than either cap
    trainer = JourneyTrainer(lexical_weight=0.5, char_ngrams=(2, 5), char_max_features=40,
                             per_part={"intent": {"char_max_features": 25}})
    for part, cap in (("phase", 40), ("intent", 25)):
        clf = trainer._fit(part, x, texts, y, ["question", "praise"], written=np.zeros(len(y), dtype=bool),
                           weight=np.ones(len(y)), multilabel=False, metadata={})
        assert clf.lexical.char_max_features == cap
        assert sum(term.startswith("~") for term in clf.lexical.vocabulary_) == cap


def _two_intents(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(-1.0, 0.3, (n, 6)), rng.normal(1.0, 0.3, (n, 6))]).astype(np.float32)
    texts = ["where is my parcel ?"] * n + ["thank you so much"] * n
    return x, texts, np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)]


def test_a_linear_or_a_one_hidden_layer_head_as_asked():
    x, texts, y = _two_intents()
    linear = fit_classifier(x, texts, y, ["question", "praise"], multilabel=False, l2=0.01, balanced=False,
                            lexical_weight=0.0)
    mlp = fit_classifier(x, texts, y, ["question", "praise"], multilabel=False, l2=0.01, balanced=False,
                         lexical_weight=0.0, hidden=16)
    assert len(linear.head.layers) == 1 and len(mlp.head.layers) == 2
    assert mlp.head.layers[0][0].shape == (16, 6)
    for clf in (linear, mlp):
        assert (clf.predict_proba(x, texts).argmax(1) == y).mean() > 0.95


def test_a_seed_ensemble_averages_its_members_in_one_wider_mlp():
    from voc_nlp.training.heads import fit_mlp_head

    x, texts, y = _two_intents()
    labels = ["question", "praise"]
    bagged = fit_classifier(x, texts, y, labels, multilabel=False, l2=0.01, balanced=False, lexical_weight=0.0,
                            hidden=16, seeds=3)
    assert bagged.head.layers[0][0].shape == (48, 6) and bagged.head.metadata["ensemble"] == 3
    # Its logits are the mean of the three seeds' MLPs' logits.
    members = [fit_mlp_head(x, y, labels, hidden=16, epochs=40, seeds=(seed,), balanced=False)
               for seed in (13, 14, 15)]
    np.testing.assert_allclose(bagged.head.logits(x), np.mean([m.logits(x) for m in members], axis=0), atol=1e-4)
    assert (bagged.predict_proba(x, texts).argmax(1) == y).mean() > 0.95


def test_row_weights_decide_between_real_and_written_items_that_disagree():
    """Forty written rows say `praise` where twenty real rows say `question`: at weight 1 the
    written rows win, at weight 0.1 the real ones do."""
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 0.2, (60, 4)).astype(np.float32)
    y = np.r_[np.zeros(20, dtype=int), np.ones(40, dtype=int)]
    written = np.r_[np.zeros(20), np.ones(40)].astype(bool)
    probe = np.zeros((1, 4), dtype=np.float32)

    def praise(weight, hidden=0):
        clf = fit_classifier(x, ["x"] * 60, y, ["question", "praise"], multilabel=False, l2=0.01, balanced=False,
                             lexical_weight=0.0, hidden=hidden, sample_weight=np.where(written, weight, 1.0))
        return clf.predict_proba(probe, ["x"])[0, 1]
    assert praise(1.0) > 0.5 > praise(0.1)
    # The MLP (40 short epochs on 60 rows) moves less far from its start, the same for both: less praise.
    assert praise(1.0, hidden=8) > praise(0.1, hidden=8) + 0.02
    # Multi-label (sigmoid) heads too: the written rows' positives fade with their weight.
    multi = y[:, None]
    strong = fit_classifier(x, ["x"] * 60, multi, ["praise"], multilabel=True, l2=0.01, balanced=False,
                            lexical_weight=0.0)
    faded = fit_classifier(x, ["x"] * 60, multi, ["praise"], multilabel=True, l2=0.01, balanced=False,
                           lexical_weight=0.0, sample_weight=np.where(written, 0.1, 1.0))
    assert strong.predict_proba(probe, ["x"])[0, 0] > 0.5 > faded.predict_proba(probe, ["x"])[0, 0]


def test_written_weight_applies_to_synthetic_items_only():
    trainer = JourneyTrainer(written_weight=0.25, per_part={"intent": {"written_weight": 1.0}})
    assert trainer.part_settings("phase")["written_weight"] == 0.25
    assert trainer.part_settings("intent")["written_weight"] == 1.0
    assert "written_weight" in trainer.get_params()


def _doc(vector):
    """What the trainer reads of a doc: its scored units' vectors and texts."""
    from types import SimpleNamespace

    return SimpleNamespace(vectors=np.asarray(vector, dtype=np.float32)[None, :], views={}, scored_texts=["x"])


def test_items_labelled_for_churn_alone_train_churn_alone_at_their_weight():
    """Weak churn-risk items (text and churn_risk only, e.g. read off another set's intents) move
    the churn decision where they sit, by their `weight`, and leave the intent decision as it was."""
    rng = np.random.default_rng(5)
    labelled = [({"intent": "question", "churn_risk": False}, rng.normal([-1, 0], 0.2)) for _ in range(20)]
    labelled += [({"intent": "complaint", "churn_risk": True}, rng.normal([1, 0], 0.2)) for _ in range(20)]
    # Far from both clusters, where the labelled items say little: weak items say churn.
    weak = [({"churn_risk": True}, rng.normal([0, 3], 0.2)) for _ in range(20)]
    probe = [_doc([0, 3])]

    def fitted(rows):
        items, vectors = zip(*rows)
        return JourneyTrainer(lexical_weight=0.0).fit([_doc(v) for v in vectors], list(items), taxonomy=None)

    def churn(trainer):
        return trainer.parts_["churn_risk"].predict_proba(*journey_features(probe, ("base",)))[0, 0]

    alone = fitted(labelled)
    full = fitted(labelled + [({**item, "weight": 1.0}, v) for item, v in weak])
    faint = fitted(labelled + [({**item, "weight": 0.02}, v) for item, v in weak])
    assert churn(full) > 0.8 and churn(full) > churn(faint) + 0.2
    for trainer in (full, faint):  # the weak items carry no intent: the intent head is the labelled items' alone
        assert np.allclose(trainer.parts_["intent"].head.layers[0][0], alone.parts_["intent"].head.layers[0][0])


def test_a_weight_that_is_not_a_positive_number_is_refused_with_its_line(tmp_path):
    import pytest

    from voc_nlp.taxonomy import Taxonomy
    from voc_nlp.training.journey import LabelFileError, read_labels

    path = tmp_path / "labels.jsonl"
    path.write_text('{"text": "Please close my account.", "churn_risk": true, "weight": 0.5}\n'
                    '{"text": "Cancel my order.", "churn_risk": true, "weight": "heavy"}\n')
    with pytest.raises(LabelFileError, match=r"labels.jsonl:2: `weight` must be a positive number"):
        read_labels(path, Taxonomy.load())
    path.write_text('{"text": "Please close my account.", "churn_risk": true, "weight": 0.5}\n')
    assert read_labels(path, Taxonomy.load())[0]["weight"] == 0.5


def test_an_item_pointing_at_a_shared_train_row_reads_its_text_and_notices_changed_data(tmp_path):
    import gzip
    import json

    import pytest

    from voc_nlp.taxonomy import Taxonomy
    from voc_nlp.training.journey import LabelFileError, read_labels, text_sha1

    data = tmp_path / "data"
    (data / "shop_reviews").mkdir(parents=True)
    with gzip.open(data / "shop_reviews" / "train.csv.gz", "wt") as f:
        f.write('text,label\n"Parcel came late, again",negative\n"Lovely fit",positive\n')
    path = tmp_path / "labels.jsonl"
    item = {"source": "shop_reviews", "source_row": 0, "text_sha1": text_sha1("Parcel came late, again"),
            "lang": "en", "touchpoints": ["delivery"]}
    path.write_text(json.dumps(item) + "\n")
    assert read_labels(path, Taxonomy.load(), data_dir=data)[0]["text"] == "Parcel came late, again"
    with pytest.raises(LabelFileError, match=r"labels.jsonl:1: .*give the shared data folder"):
        read_labels(path, Taxonomy.load())
    path.write_text(json.dumps({**item, "source_row": 1}) + "\n")
    with pytest.raises(LabelFileError, match=r"labels.jsonl:1: shop_reviews row 1 is not the text that was labelled"):
        read_labels(path, Taxonomy.load(), data_dir=data)
    path.write_text(json.dumps({**item, "source_row": 2}) + "\n")
    with pytest.raises(LabelFileError, match=r"labels.jsonl:1: shop_reviews train has no row 2"):
        read_labels(path, Taxonomy.load(), data_dir=data)


def test_the_team_labels_use_the_taxonomy_ids_and_point_at_train_rows(tmp_path):
    """Every label of the team's file is one read_labels accepts (the texts, in the shared data, are
    stood in for here: tests run without it)."""
    import json
    from pathlib import Path

    from voc_nlp.taxonomy import Taxonomy
    from voc_nlp.training.journey import read_labels

    team = Path(__file__).resolve().parents[2] / "src" / "voc_nlp" / "training" / "labels" / "journey_team.jsonl"
    lines = [json.loads(line) for line in team.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > 1000 and len({(i["source"], i["source_row"]) for i in lines}) == len(lines)
    assert all("text" not in i and len(i["text_sha1"]) == 12 and isinstance(i["source_row"], int) for i in lines)
    standin = tmp_path / "team.jsonl"
    standin.write_text("".join(json.dumps({**i, "text": "stand-in"}) + "\n" for i in lines))
    items = read_labels(standin, Taxonomy.load())
    assert sum(i["effort"] for i in items) > 30 and sum(i["churn_risk"] for i in items) > 30


def _unit_doc(text, vector):
    """A one-unit doc as the touchpoint-sentiment trainer reads it."""
    from types import SimpleNamespace

    return SimpleNamespace(vectors=np.asarray(vector, dtype=np.float32)[None, :], views={}, scored_texts=[text],
                           scored_units=[SimpleNamespace(text=text)])


def test_touchpoint_sentiment_told_the_touchpoint_reads_the_same_words_two_ways():
    """One sentence names a refund asked calmly and a bill disputed: only a model told which
    touchpoint it judges can read them apart."""
    from voc_nlp.components.journey import sentiment_inputs

    rng = np.random.default_rng(7)
    mixed = "I asked for my refund and my bill is wrong again"
    praise = "thank you for the quick refund and the clear bill"
    rows = [(mixed, {"returns_refunds": "neutral", "billing": "negative"}, [1.0, 0.0])] * 30
    rows += [(praise, {"returns_refunds": "positive", "billing": "positive"}, [-1.0, 0.0])] * 30
    docs = [_unit_doc(text, np.asarray(v) + rng.normal(0, 0.1, 2)) for text, _, v in rows]
    items = [{"touchpoint_sentiment": labels} for _, labels, _ in rows]
    tagged = np.ones((len(rows), 2), dtype=int)
    touchpoints = fit_classifier(np.vstack([d.vectors for d in docs]), [d.scored_texts[0] for d in docs], tagged,
                                 ["returns_refunds", "billing"], multilabel=True, l2=0.01, balanced=True,
                                 lexical_weight=0.0)

    def readings(reads_touchpoint):
        trainer = JourneyTrainer(lexical_weight=0.7, sentiment_reads_touchpoint=reads_touchpoint)
        trainer.parts_ = {"touchpoints": touchpoints}
        trainer._fit_touchpoint_sentiment(docs, items, np.zeros(len(rows), dtype=bool), np.ones(len(rows)), {})
        model = trainer.parts_["touchpoint_sentiment"]
        assert model.head.metadata["reads_touchpoint"] is reads_touchpoint  # what the component reads
        evidence = [(tp, 0, (0, len(mixed))) for tp in ("returns_refunds", "billing")]
        probs = model.predict_proba(*sentiment_inputs(docs[0], ("base",), evidence, reads_touchpoint))
        return [model.labels[i] for i in probs.argmax(1)]

    assert readings(True) == ["neutral", "negative"]
    blind = readings(False)
    assert blind[0] == blind[1]  # the same inputs: one reading for both


def test_a_profile_that_adds_a_view_reuses_the_cached_vectors_and_encodes_only_its_own(tmp_path):
    from voc_nlp.pipeline import Pipeline
    from voc_nlp.training.journey import embed_items

    steps = {"pipeline": ["units", "language", "embed"]}
    items = [{"id": "a", "text": "The parcel came late. Support never answered."},
             {"id": "b", "text": "Merci pour le remboursement rapide !"}]
    fast = embed_items(Pipeline.from_config(overrides=steps), items, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("units-*.npz"))) == 1
    accurate = Pipeline.from_config(overrides={**steps, "profile": "accurate"})
    docs = embed_items(accurate, items, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("units-*.npz"))) == 2  # the e5 view's file, beside the default one
    again = embed_items(accurate, items, cache_dir=tmp_path)  # from the cache alone
    assert len(list(tmp_path.glob("units-*.npz"))) == 2
    uncached = embed_items(accurate, items)
    for d, f, a, u in zip(docs, fast, again, uncached):
        assert np.array_equal(d.vectors, f.vectors) and set(d.views) == {"affect_emotions", "e5_sentiment"}
        for view in d.views:
            assert np.array_equal(d.views[view], a.views[view])
            np.testing.assert_allclose(d.views[view], u.views[view], atol=1e-5)
        assert d.views["e5_sentiment"].shape == (len(d.unit_inputs), 384)
