"""Metrics for labelled feedback, shared by the training scripts and `voc-nlp evaluate`."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, recall_score


def sentiment_metrics(gold: list[str], predicted: list[str]) -> dict[str, float]:
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_recall": float(recall_score(gold, predicted, average="macro", zero_division=0)),
        "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
        "n": len(gold),
    }


def sentiment_calibration_error(gold: list[str], probs: list[dict | None], bins: int = 10) -> float | None:
    """Expected calibration error of the items' `sentiment_probs` (top-label confidence against accuracy,
    10 equal-width bins), over the items that have probabilities; None when none has."""
    pairs = [(g, p) for g, p in zip(gold, probs) if isinstance(p, dict) and p]
    if not pairs:
        return None
    confidence = np.array([max(p.values()) for _, p in pairs], dtype=np.float64)
    correct = np.array([max(p, key=p.get) == g for g, p in pairs], dtype=np.float64)
    return binned_calibration_error(confidence, correct, bins)


def binned_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            ece += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(ece)


def multilabel_metrics(gold: list[list[str]], predicted: list[list[str]], labels: list[str],
                       exclude: tuple[str, ...] = ()) -> dict:
    """Per-label F1, macro-F1 over `labels` minus `exclude`, and micro-F1."""
    y = np.array([[int(label in g) for label in labels] for g in gold])
    p = np.array([[int(label in q) for label in labels] for q in predicted])
    per_label = {
        label: float(f1_score(y[:, j], p[:, j], zero_division=0)) for j, label in enumerate(labels)
    }
    kept = [label for label in labels if label not in exclude]
    return {
        "macro_f1": float(np.mean([per_label[label] for label in kept])),
        "micro_f1": float(f1_score(y, p, average="micro", zero_division=0)),
        "per_label_f1": per_label,
        "n": len(gold),
    }


def phase_metrics(gold: list[str], predicted: list[str], labels: list[str]) -> dict:
    """Accuracy and macro-F1 over every phase of the taxonomy (`unknown` included)."""
    per_label = {
        label: float(f1_score([g == label for g in gold], [p == label for p in predicted], zero_division=0))
        for label in labels
    }
    return {
        "accuracy": float(accuracy_score(gold, predicted)) if gold else 0.0,
        "macro_f1": float(np.mean(list(per_label.values()))) if labels else 0.0,
        "per_label_f1": per_label,
        "n": len(gold),
    }


def touchpoint_sentiment_accuracy(gold: list[dict], predicted: list[dict], min_touchpoints: int = 2) -> dict:
    """Share of gold (item, touchpoint) sentiment labels matched, on items naming 2+ touchpoints.

    A gold touchpoint the prediction does not tag counts as wrong. `found_accuracy`: the same
    share among the labels whose touchpoint was tagged (`n_found` of them; left out when none
    was), which tells a touchpoint not found from a touchpoint read with the wrong sentiment.
    """
    right = total = items = found = 0
    for g, p in zip(gold, predicted):
        if not g or len(g) < min_touchpoints:
            continue
        items += 1
        for touchpoint, label in g.items():
            total += 1
            found += int(touchpoint in (p or {}))
            right += int((p or {}).get(touchpoint) == label)
    out = {"accuracy": right / total if total else float("nan"), "n_labels": total, "n_items": items, "n_found": found}
    if found:
        out["found_accuracy"] = right / found
    return out


def signal_metrics(gold: list[dict], predicted: list[dict]) -> dict:
    """Intent accuracy and macro-F1 (complaint, question, praise, other: suggestion is too rare to
    average), effort and churn-risk F1, over the items that carry each label."""
    out = {}
    pairs = [(g["intent"], p.get("intent") or "") for g, p in zip(gold, predicted)
             if isinstance(g.get("intent"), str) and g["intent"]]
    if pairs:
        y, p = zip(*pairs)
        out["intent_accuracy"] = float(accuracy_score(y, p))
        out["intent_macro_f1"] = float(f1_score(y, p, labels=["complaint", "question", "praise", "other"],
                                                average="macro", zero_division=0))
    for signal in ("effort", "churn_risk"):
        pairs = [(bool(g[signal]), bool(p.get(signal))) for g, p in zip(gold, predicted)
                 if isinstance(g.get(signal), (bool, np.bool_))]
        if pairs:
            y, p = zip(*pairs)
            out[f"{signal}_f1"] = float(f1_score(y, p, zero_division=0))
    return out


def _as_list(value) -> list[str] | None:
    """A label set from a JSONL list, a JSON string ("[...]") or "a;b" text; None when missing."""
    import json

    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [v.strip() for v in text.replace(",", ";").split(";") if v.strip()]


def _as_dict(value) -> dict | None:
    import json

    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dict):
        return value
    text = str(value).strip()
    return json.loads(text) if text.startswith("{") else None


def labelled_metrics(gold: list[dict], predicted: list[dict], taxonomy, languages=("en", "fr"),
                     by: str | None = None) -> dict:
    """All item-level figures of `voc-nlp evaluate`, overall and per language.

    `gold` rows may carry `sentiment`, `emotions`, `phase`, `touchpoints`,
    `touchpoint_sentiment` and `lang`; a figure is computed only where its gold
    column is given (rows with an empty gold value are left out of it).
    `predicted` are enriched records (dicts with the output columns).
    Touchpoint and phase macro-F1 average over every id of the taxonomy.
    `by`: a column of `gold` (e.g. `source`, `channel`); the same figures per
    value of it go under `out["by"]` (`{"column": by, "groups": {value: figures}}`).
    """
    out = {}
    for lang in ("all",) + tuple(languages):
        keep = [k for k, g in enumerate(gold)
                if lang == "all" or (g.get("lang") or predicted[k].get("lang")) == lang]
        out[lang] = _figures(gold, predicted, keep, taxonomy)
    if by is not None:
        if not any(by in g for g in gold):
            raise KeyError(f"no '{by}' column to break the figures down by")
        values = [str(g.get(by)) for g in gold]
        out["by"] = {"column": by, "groups": {
            value: _figures(gold, predicted, [k for k, v in enumerate(values) if v == value], taxonomy)
            for value in sorted(set(values))
        }}
    return out


def _figures(gold: list[dict], predicted: list[dict], keep: list[int], taxonomy) -> dict:
    """The figures over the rows `keep` (see `labelled_metrics`)."""
    figures: dict = {"n": len(keep)}
    pairs = [(gold[k].get("sentiment"), predicted[k].get("sentiment")) for k in keep
             if isinstance(gold[k].get("sentiment"), str) and gold[k].get("sentiment")]
    if pairs:
        figures["sentiment"] = sentiment_metrics([g for g, _ in pairs], [p or "" for _, p in pairs])
        ece = sentiment_calibration_error(
            [gold[k].get("sentiment") for k in keep if isinstance(gold[k].get("sentiment"), str)
             and gold[k].get("sentiment")],
            [predicted[k].get("sentiment_probs") for k in keep if isinstance(gold[k].get("sentiment"), str)
             and gold[k].get("sentiment")])
        if ece is not None:
            figures["sentiment"]["ece"] = ece
    for column, ids, exclude in (("emotions", taxonomy.emotion_ids, ()),
                                 ("touchpoints", taxonomy.touchpoint_ids, ())):
        rows = [(_as_list(gold[k].get(column)), list(predicted[k].get(column) or [])) for k in keep]
        rows = [(g, p) for g, p in rows if g is not None]
        if rows and ids:
            figures[column] = multilabel_metrics([g for g, _ in rows], [p for _, p in rows], ids, exclude)
    pairs = [(gold[k].get("phase"), predicted[k].get("phase")) for k in keep
             if isinstance(gold[k].get("phase"), str) and gold[k].get("phase")]
    if pairs and taxonomy.phase_ids:
        figures["phase"] = phase_metrics([g for g, _ in pairs], [p or "" for _, p in pairs], taxonomy.phase_ids)
    # How often an item of each gold sentiment is flagged as a pain point (neutral: how far the share of
    # pain points in feedback that is mostly not about a problem reads too high).
    flagged = {}
    for label in ("negative", "neutral", "positive"):
        rows = [k for k in keep if gold[k].get("sentiment") == label and predicted[k].get("pain_point") is not None]
        if rows:
            flagged[f"share_of_gold_{label}"] = float(np.mean([bool(predicted[k]["pain_point"]) for k in rows]))
    if flagged:
        figures["pain_point"] = flagged
    signals = signal_metrics([gold[k] for k in keep], [predicted[k] for k in keep])
    if signals:
        figures["signals"] = signals
    ts_gold = [_as_dict(gold[k].get("touchpoint_sentiment")) for k in keep]
    if any(ts_gold):
        figures["touchpoint_sentiment"] = touchpoint_sentiment_accuracy(
            ts_gold, [dict(predicted[k].get("touchpoint_sentiment") or {}) for k in keep]
        )
    return figures
