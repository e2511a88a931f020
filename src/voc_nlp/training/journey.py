"""Train the journey tagger and the CX-signal classifiers from labelled items.

    items = read_labels("journey_train.jsonl", taxonomy)   # checked, file:line errors
    docs = embed_items(pipeline, items)                    # the pipeline's own units and vectors
    model = JourneyTrainer().fit(docs, items, taxonomy)    # sklearn-style; fitted parts end in _
    model.save("models/journey")

The labelled file is JSONL in the `journey_dev` format: `text` (or `turns`),
`lang`, and any of `phase`, `touchpoints`, `touchpoint_sentiment`, `intent`,
`effort`, `churn_risk`; an item may carry only some of them (it then trains only
those decisions) and a `weight` (default 1) in every loss it enters, e.g. weak
labels read off another set's intents. An item may point at a row of a
shared train split instead of carrying its text (`source`, `source_row`,
`text_sha1`; read with `data_dir`), as the team's own labels do. Every
classifier is a `TextClassifier` (linear head over the pooled unit
embeddings, fused with a TF-IDF word head), trained on exactly
the features the pipeline computes at run time (`journey_features`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from voc_nlp.components.journey import PARTS as JOURNEY_PARTS
from voc_nlp.components.journey import SIGNALS, evidence_units, journey_features, sentiment_inputs
from voc_nlp.doc import FeedbackDoc
from voc_nlp.lexical import LexicalHead
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text_classifier import TextClassifier
from voc_nlp.training.heads import fit_linear_head, fit_mlp_head

INTENTS = ["complaint", "question", "praise", "suggestion", "other"]
SENTIMENTS = ["negative", "neutral", "positive"]
# An MLP head sees a few thousand items, not the emotion heads' tens of thousands: more passes.
MLP_EPOCHS = 40


# The team's labels of shared train rows (journey_train's rules; how they were made: its README).
TEAM_LABELS = Path(__file__).resolve().parent / "labels" / "journey_team.jsonl"


class LabelFileError(ValueError):
    """A labelled file that cannot be trained on; the message names file and line."""


def read_labels(path: str | Path, taxonomy: Taxonomy, data_dir: str | Path | None = None) -> list[dict]:
    """Items of a JSONL label file, every label checked against the taxonomy. Items that point at a
    row of a shared train split (`source`, `source_row`) get their text from `data_dir`."""
    path = Path(path)
    if not path.exists():
        raise LabelFileError(f"{path}: file not found")
    phases, touchpoints = set(taxonomy.phase_ids), set(taxonomy.touchpoint_ids)
    splits: dict[str, list[str]] = {}
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelFileError(f"{where}: not a JSON object ({exc.msg})") from None
        if not isinstance(item, dict):
            raise LabelFileError(f"{where}: expected a JSON object, got {type(item).__name__}")
        if "text" not in item and "source_row" in item:
            item["text"] = _split_row_text(item, data_dir, splits, where)
        text = item.get("text")
        if not (isinstance(text, str) and text.strip()) and not item.get("turns"):
            raise LabelFileError(f"{where}: missing text (give `text`, or `turns` for a chat)")
        if "phase" in item and item["phase"] not in phases:
            raise LabelFileError(f"{where}: unknown phase '{item['phase']}' (taxonomy: {', '.join(sorted(phases))})")
        named = list(item.get("touchpoints") or []) + list((item.get("touchpoint_sentiment") or {}).keys())
        for tp in named:
            if tp not in touchpoints:
                raise LabelFileError(f"{where}: unknown touchpoint '{tp}' (taxonomy: {', '.join(sorted(touchpoints))})")
        for tp, label in (item.get("touchpoint_sentiment") or {}).items():
            if label not in SENTIMENTS:
                raise LabelFileError(f"{where}: touchpoint_sentiment of '{tp}' is '{label}', expected one of {SENTIMENTS}")
        if "intent" in item and item["intent"] not in INTENTS:
            raise LabelFileError(f"{where}: unknown intent '{item['intent']}' (expected one of {', '.join(INTENTS)})")
        for flag in SIGNALS:
            if flag in item and not isinstance(item[flag], bool):
                raise LabelFileError(f"{where}: `{flag}` must be true or false, got {item[flag]!r}")
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            raise LabelFileError(f"{where}: `weight` must be a positive number, got {weight!r}")
        item.setdefault("id", f"line{number}")
        items.append(item)
    if not items:
        raise LabelFileError(f"{path}: no labelled items")
    return items


def text_sha1(text: str) -> str:
    """The short digest a label file keeps of a text it points at, to notice changed data."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _split_row_text(item: dict, data_dir, splits: dict[str, list[str]], where: str) -> str:
    """The text of row `source_row` of `data_dir/source/train.csv.gz`, checked against `text_sha1`."""
    source, row = item.get("source"), item.get("source_row")
    if data_dir is None:
        raise LabelFileError(f"{where}: the item points at {source} row {row}: give the shared data folder")
    if source not in splits:
        file = Path(data_dir) / str(source) / "train.csv.gz"
        if not file.exists():
            raise LabelFileError(f"{where}: {file} not found (the item points at {source} row {row})")
        splits[source] = pd.read_csv(file, usecols=["text"])["text"].astype(str).tolist()
    if not (isinstance(row, int) and 0 <= row < len(splits[source])):
        raise LabelFileError(f"{where}: {source} train has no row {row!r}")
    text = splits[source][row]
    if "text_sha1" in item and text_sha1(text) != item["text_sha1"]:
        raise LabelFileError(f"{where}: {source} row {row} is not the text that was labelled (text_sha1 differs)")
    return text


def canonical_items(items: list[dict], max_text_chars: int = 20000):
    """Labelled items as a canonical input chunk (what `io.read_feedback` yields)."""
    from voc_nlp.io.columns import ColumnMap
    from voc_nlp.io.readers import canonical_frame

    frame = pd.DataFrame({
        "id": [str(i["id"]) for i in items],
        "text": [i.get("text") or "" for i in items],
        "lang": [i.get("lang") for i in items],
        "channel": [i.get("channel") for i in items],
        "turns": [json.dumps(i["turns"]) if i.get("turns") else None for i in items],
    })
    return canonical_frame(frame, ColumnMap(), source="<labels>", first_row=1, max_text_chars=max_text_chars)


def embed_items(pipeline, items: list[dict], cache_dir: str | Path | None = None) -> list[FeedbackDoc]:
    """Run the pipeline's steps up to the encoder over labelled items: the same units,
    normalised texts and vectors the journey and signal components read at run time.

    `cache_dir`: the vectors are kept there (npz, keyed by the encoder's views and the
    unit texts), so a second run skips the encoder."""
    from voc_nlp.pipeline import to_doc

    chunk = canonical_items(items, pipeline.max_text_chars)
    docs = [to_doc(row, mask=pipeline.mask_pii) for row in chunk.to_dict("records")]
    for step in pipeline.steps:
        if step.name == "embed":
            _embed(step, docs, cache_dir)
            break
        step(docs)
    return docs


def _embed(step, docs: list[FeedbackDoc], cache_dir) -> None:
    """The embed step over `docs`, its vectors kept in `cache_dir`: one file for the main encoder's
    views and one per extra view (`encoder.extra_views`), so a profile that adds a view (`accurate`'s
    e5) reuses the vectors the default pipeline cached and computes only its own."""
    import hashlib

    if cache_dir is None:
        step(docs)
        return
    encoder = step.encoder
    extra = tuple(getattr(encoder, "extra", ()))
    parts = [(getattr(encoder, "main", encoder).views_fingerprint,
              tuple(v for v in ("base",) + encoder.views if v not in extra))]
    parts += [(encoder.view_fingerprint(v), (v,)) for v in extra]
    units = [t for d in docs for t in ([f"#{len(d.unit_inputs)}"] + d.unit_inputs)]
    live = [d for d in docs if d.ok]
    views = {}
    for version, names in parts:
        key = "\n".join([version] + units)
        path = Path(cache_dir) / f"units-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"
        if not path.exists():
            fresh = encoder.encode_views([t for d in live for t in d.unit_inputs], names)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, **fresh)
        views.update(np.load(path))
    offset = 0
    for doc in live:
        n = len(doc.unit_inputs)
        doc.vectors = views["base"][offset: offset + n]
        doc.views = {v: m[offset: offset + n] for v, m in views.items() if v != "base"}
        offset += n


# -- fitting -------------------------------------------------------------------------


def fit_classifier(x: np.ndarray, texts: list[str], y: np.ndarray, labels: list[str], *, multilabel: bool,
                   l2: float, balanced: bool, lexical_weight: float, hidden: int = 0, metadata: dict | None = None,
                   min_df: int = 2, sample_weight: np.ndarray | None = None, seeds: int = 1,
                   char_ngrams: tuple[int, int] | None = None, char_max_features: int = 50000) -> TextClassifier:
    """Embedding head + word head, fused with the word head's share `lexical_weight`.
    `hidden` > 0: the embedding head is a one-hidden-layer MLP of that width (`l2` unused), else linear;
    `seeds` > 1: that many MLPs from different seeds, their logits averaged (stored as one wider MLP).
    `char_ngrams`: (lo, hi) to add character n-grams to the word head's words, the `char_max_features`
    most frequent.
    `sample_weight`: one weight per row in both heads' losses (None: all 1)."""
    if hidden:
        mlp_weight = sample_weight
        if sample_weight is not None and balanced and not multilabel:
            # The MLP takes row weights instead of class weights: fold the class balance into them.
            counts = np.bincount(np.asarray(y), minlength=len(labels)).clip(min=1)
            mlp_weight = np.asarray(sample_weight) * (len(y) / (len(labels) * counts))[np.asarray(y)]
        head = fit_mlp_head(x, y, labels, multilabel=multilabel, hidden=hidden, epochs=MLP_EPOCHS,
                            seeds=tuple(range(13, 13 + seeds)),
                            balanced=balanced, metadata=metadata, sample_weight=mlp_weight)
    else:
        head = fit_linear_head(x, y, labels, multilabel=multilabel, l2=l2, balanced=balanced, metadata=metadata,
                               sample_weight=sample_weight)
    lexical = None
    if lexical_weight > 0:
        targets = np.asarray(y) if multilabel else np.eye(len(labels), dtype=np.int8)[np.asarray(y)]
        # Labels with a single class in these targets (possible in small user files) cannot be
        # fitted by a regression; the word head is then left out.
        if all(0 < targets[:, j].sum() < len(targets) for j in range(len(labels))):
            lexical = LexicalHead(min_df=min_df, C=4.0, weight=lexical_weight, languages=("en", "fr"),
                                  class_weight="balanced", solver="liblinear", char_ngrams=char_ngrams,
                                  char_max_features=char_max_features)
            lexical.fit(texts, targets, labels, sample_weight=sample_weight)
    return TextClassifier(head, lexical)


def best_thresholds(probs: np.ndarray, y: np.ndarray, labels: list[str],
                    grid=(0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> dict[str, float]:
    """Per label, the threshold maximising F1 on out-of-fold probabilities (the one nearest 0.5 on
    ties; 0.5 when a label has no positive)."""
    from sklearn.metrics import f1_score

    out = {}
    for j, label in enumerate(labels):
        out[label] = 0.5
        if y[:, j].sum():
            out[label] = max(grid, key=lambda t: (f1_score(y[:, j], probs[:, j] >= t, zero_division=0), -abs(t - 0.5)))
    return out


class JourneyTrainer:
    """Fits the journey model (phase, touchpoints, touchpoint sentiment) and the CX signals.

    - l2: L2 penalty of the linear heads (on standardised embeddings).
    - lexical_weight: the word head's share in each fused classifier.
    - threshold: the probability a touchpoint needs to be tagged (every touchpoint; the training
      script may then set one per touchpoint, chosen on out-of-fold probabilities).
    - effort_threshold, churn_risk_threshold: the probability effort / churn risk needs.
    - balanced: phase and intent heads weigh classes inversely to their frequency.
    - hidden: 0 for linear embedding heads, else the width of a one-hidden-layer MLP head.
    - seeds: with an MLP head, how many seeds' MLPs it averages (a seed ensemble).
    - char_ngrams: (lo, hi) for word heads that also read character n-grams inside words, None for words only.
    - char_max_features: how many character n-grams a word head keeps, the most frequent (its size and
      run-time cost grow with them).
    - written_weight: the weight, in every loss, of items written for training (`"source":
      "synthetic"` in journey_train) against real feedback (weight 1). Below 1, the real items
      -- what the tagger will read -- count for more than the written ones that cover the rare
      labels.
    - per_part: for a decision (phase, touchpoints, touchpoint_sentiment, intent, effort, churn_risk)
      the settings among l2 / lexical_weight / balanced / hidden / written_weight / seeds / char_ngrams /
      char_max_features that differ from
      the above, e.g. {"phase": {"lexical_weight": 0.8}}. Touchpoint sentiment does not take the
      touchpoints' settings: it reads a clause's words, and with the touchpoints' lower word share
      the sentence's vector outvoted "delivery was fast" in "delivery was fast but support never answered".
    - views: encoder views whose unit means are concatenated as features.
    - with_examples: the taxonomy's example phrases join the touchpoint training
      items (as one-touchpoint items), so a touchpoint with few labels still learns.
    - min_examples: a touchpoint with fewer labelled positives than this (examples
      included) is left to the prototype similarity at run time.
    - sentiment_reads_touchpoint: the touchpoint-sentiment model is told which touchpoint it
      judges (a word naming it before the evidence's words), so it learns each touchpoint's
      usual reading (a refund is mostly asked for calmly, a bill mostly disputed).
    """

    def __init__(self, l2: float = 1e-2, lexical_weight: float = 0.5, threshold: float = 0.5,
                 effort_threshold: float = 0.5, churn_risk_threshold: float = 0.5, balanced: bool = False,
                 hidden: int = 0, written_weight: float = 1.0, per_part: dict | None = None,
                 views: tuple[str, ...] = ("base",), with_examples: bool = True, min_examples: int = 3,
                 sentiment_reads_touchpoint: bool = False, seeds: int = 1,
                 char_ngrams: tuple[int, int] | None = None, char_max_features: int = 50000):
        self.l2 = l2
        self.lexical_weight = lexical_weight
        self.threshold = threshold
        self.effort_threshold = effort_threshold
        self.churn_risk_threshold = churn_risk_threshold
        self.balanced = balanced
        self.hidden = hidden
        self.written_weight = written_weight
        self.per_part = per_part
        self.views = views
        self.with_examples = with_examples
        self.min_examples = min_examples
        self.sentiment_reads_touchpoint = sentiment_reads_touchpoint
        self.seeds = seeds
        self.char_ngrams = char_ngrams
        self.char_max_features = char_max_features

    def get_params(self) -> dict:
        import inspect

        return {name: getattr(self, name) for name in inspect.signature(type(self)).parameters}

    def fit(self, docs: list[FeedbackDoc], items: list[dict], taxonomy: Taxonomy,
            example_vectors: np.ndarray | None = None) -> "JourneyTrainer":
        """`example_vectors`: the taxonomy's example phrases in the encoder views (`example_texts` order)."""
        x, texts = journey_features(docs, self.views)
        settings = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        meta = {"views": list(self.views), "trained_on": len(items), "settings": settings}
        self.parts_ = {}
        written = np.array([item.get("source") == "synthetic" for item in items], dtype=bool)
        weight = np.array([float(item.get("weight", 1.0)) for item in items])
        phased = [k for k, i in enumerate(items) if i.get("phase")]
        if phased:
            y = np.array([taxonomy.phase_ids.index(items[k]["phase"]) for k in phased])
            self.parts_["phase"] = self._fit("phase", x[phased], [texts[k] for k in phased], y, taxonomy.phase_ids,
                                             written=written[phased], weight=weight[phased], multilabel=False,
                                             metadata=meta)
        tagged = [k for k, i in enumerate(items) if "touchpoints" in i]
        if tagged:
            tx, tt, tw, tweight = x[tagged], [texts[k] for k in tagged], written[tagged], weight[tagged]
            ty = np.array([[int(tp in items[k]["touchpoints"]) for tp in taxonomy.touchpoint_ids] for k in tagged])
            if self.with_examples and example_vectors is not None:
                ex_texts, ex_owner = example_texts(taxonomy)
                tx = np.vstack([tx, example_vectors])
                tt = tt + ex_texts
                tw = np.concatenate([tw, np.zeros(len(ex_texts), dtype=bool)])
                tweight = np.concatenate([tweight, np.ones(len(ex_texts))])
                ty = np.vstack([ty, np.eye(len(taxonomy.touchpoint_ids), dtype=int)[ex_owner]])
            known = [j for j in range(ty.shape[1]) if ty[:, j].sum() >= self.min_examples]
            labels = [taxonomy.touchpoint_ids[j] for j in known]
            clf = self._fit("touchpoints", tx, tt, ty[:, known], labels, written=tw, weight=tweight, multilabel=True,
                            balanced=True, metadata=meta)
            clf.head.thresholds = {tp: self.threshold for tp in labels}
            self.parts_["touchpoints"] = clf
            self._fit_touchpoint_sentiment(docs, items, written, weight, meta)
        for name, labels in (("intent", INTENTS),) + tuple((s, [s]) for s in SIGNALS):
            rows = [k for k, i in enumerate(items) if name in i]
            if not rows:
                continue
            if name == "intent":
                y = np.array([INTENTS.index(items[k]["intent"]) for k in rows])
                if len(set(y.tolist())) < 2:
                    continue
                self.parts_[name] = self._fit(name, x[rows], [texts[k] for k in rows], y, INTENTS,
                                              written=written[rows], weight=weight[rows], multilabel=False,
                                              metadata=meta)
            else:
                y = np.array([[int(items[k][name])] for k in rows])
                if 0 < y.sum() < len(y):
                    self.parts_[name] = self._fit(name, x[rows], [texts[k] for k in rows], y, labels,
                                                  written=written[rows], weight=weight[rows], multilabel=True,
                                                  balanced=True, metadata=meta)
                    self.parts_[name].head.thresholds = {name: getattr(self, f"{name}_threshold")}
        return self

    def part_settings(self, part: str) -> dict:
        """The l2 / lexical_weight / balanced / hidden / written_weight / seeds / char_ngrams /
        char_max_features decision `part` is fitted with."""
        mine = {"l2": self.l2, "lexical_weight": self.lexical_weight, "balanced": self.balanced, "hidden": self.hidden,
                "written_weight": self.written_weight, "seeds": self.seeds, "char_ngrams": self.char_ngrams,
                "char_max_features": self.char_max_features}
        return {**mine, **(self.per_part or {}).get(part, {})}

    def _fit(self, part, x, texts, y, labels, *, written, weight, multilabel, metadata, balanced=None):
        """`written`: which rows are written items; `weight`: each row's own weight. `balanced`: None
        for the part's setting (phase, intent), else fixed by the decision's kind."""
        s = self.part_settings(part)
        weights = np.where(written, s["written_weight"], 1.0) * weight
        if (weights == 1).all():
            weights = None
        return fit_classifier(x, texts, y, list(labels), multilabel=multilabel, l2=s["l2"],
                              balanced=s["balanced"] if balanced is None else balanced,
                              lexical_weight=s["lexical_weight"], hidden=s["hidden"], metadata=metadata,
                              sample_weight=weights, seeds=s["seeds"], char_ngrams=s["char_ngrams"],
                              char_max_features=s["char_max_features"])

    def _fit_touchpoint_sentiment(self, docs, items, written, weight, meta) -> None:
        """One (evidence unit vector, evidence clause) pair per labelled (item, touchpoint), read as the
        component reads it (`sentiment_inputs`)."""
        touchpoints = self.parts_["touchpoints"]
        rows, texts, y, row_written, row_weight = [], [], [], [], []
        for doc, item, is_written, item_weight in zip(docs, items, written, weight):
            labelled = item.get("touchpoint_sentiment") or {}
            wanted = [tp for tp in labelled if tp in touchpoints.labels]
            if not wanted or doc.vectors is None or not len(doc.vectors):
                continue
            found = evidence_units(doc, touchpoints, wanted, self.views)
            vectors, words = sentiment_inputs(doc, self.views, [(tp, *found[tp]) for tp in wanted],
                                              self.sentiment_reads_touchpoint)
            rows.append(vectors)
            texts += words
            y += [SENTIMENTS.index(labelled[tp]) for tp in wanted]
            row_written += [is_written] * len(wanted)
            row_weight += [item_weight] * len(wanted)
        if len(set(y)) == len(SENTIMENTS):
            meta = {**meta, "reads_touchpoint": self.sentiment_reads_touchpoint}
            self.parts_["touchpoint_sentiment"] = self._fit("touchpoint_sentiment", np.vstack(rows), texts, np.array(y),
                                                            SENTIMENTS, written=np.array(row_written, dtype=bool),
                                                            weight=np.array(row_weight), multilabel=False,
                                                            balanced=False, metadata=meta)

    def save(self, directory: str | Path) -> list[str]:
        """`directory/journey/<part>` and `directory/cx_signals/<part>`; returns the parts written."""
        directory = Path(directory)
        for name, clf in self.parts_.items():
            clf.save(directory / ("journey" if name in JOURNEY_PARTS else "cx_signals") / name)
        return list(self.parts_)


def example_texts(taxonomy: Taxonomy) -> tuple[list[str], list[int]]:
    """Every touchpoint's example phrases and description, with the index of its touchpoint."""
    texts, owners = [], []
    for j, tp in enumerate(taxonomy.touchpoints):
        for text in tp.all_examples() + ([tp.description] if tp.description else []):
            texts.append(text)
            owners.append(j)
    return texts, owners


__all__ = ["INTENTS", "JourneyTrainer", "LabelFileError", "best_thresholds", "canonical_items", "embed_items",
           "example_texts", "read_labels"]
