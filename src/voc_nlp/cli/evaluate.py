"""`voc-nlp evaluate LABELLED_FILE`: enrich a labelled set and print how close the pipeline gets.

The file (CSV or JSONL) holds the items (`text`, or `turns` for chats; `id`
and `lang` optional) and any of the gold columns `sentiment`, `emotions`,
`phase`, `touchpoints`, `touchpoint_sentiment`. List columns are JSON lists
(`["delivery", "billing"]`) or `a;b` text; `touchpoint_sentiment` is a JSON
object. Figures are given overall and per language (en, fr), and with
`--by COLUMN` per value of any column of the file (source, channel, ...).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from voc_nlp.cli import add_profile_argument

# (figure path, printed name); a path is (section, key).
FIGURES = [
    (("sentiment", "accuracy"), "sentiment accuracy"),
    (("sentiment", "macro_recall"), "sentiment macro-recall"),
    (("sentiment", "macro_f1"), "sentiment macro-F1"),
    (("sentiment", "ece"), "sentiment calibration error (ECE, probabilities)"),
    (("emotions", "macro_f1"), "emotion macro-F1"),
    (("phase", "accuracy"), "phase accuracy"),
    (("phase", "macro_f1"), "phase macro-F1"),
    (("touchpoints", "micro_f1"), "touchpoint micro-F1"),
    (("touchpoints", "macro_f1"), "touchpoint macro-F1"),
    (("touchpoint_sentiment", "accuracy"), "touchpoint sentiment accuracy (2+ touchpoints)"),
    (("signals", "intent_accuracy"), "intent accuracy"),
    (("signals", "intent_macro_f1"), "intent macro-F1 (complaint, question, praise, other)"),
    (("signals", "effort_f1"), "effort F1"),
    (("signals", "churn_risk_f1"), "churn risk F1"),
    (("pain_point", "share_of_gold_negative"), "pain point on gold-negative items (share)"),
    (("pain_point", "share_of_gold_neutral"), "pain point on gold-neutral items (share)"),
    (("pain_point", "share_of_gold_positive"), "pain point on gold-positive items (share)"),
]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="enrich a labelled CSV/JSONL file and print sentiment, emotion, phase and touchpoint figures",
        description=__doc__.split("\n")[0],
    )
    p.add_argument("labelled", metavar="LABELLED_FILE", help="CSV or JSONL with gold label columns")
    add_profile_argument(p)
    p.add_argument("--config", default=None, help="pipeline config YAML (default: configs/default.yaml)")
    p.add_argument("--taxonomy", default=None, help="taxonomy YAML replacing the config's")
    p.add_argument("--text-col", default="text", help="column holding the text (default: text)")
    p.add_argument("--sentiment-col", default="sentiment",
                   help="column holding the gold sentiment (default: sentiment), e.g. airline_sentiment")
    p.add_argument("--by", metavar="COLUMN", default=None,
                   help="also give the figures per value of this column of the file, e.g. source or channel")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--threads", type=int, default=None,
                   help="encoder threads (default: the config's); 1 leaves a core to other jobs")


def read_labelled(path: Path):
    import pandas as pd

    if not path.exists():
        raise FileNotFoundError(f"labelled file not found: {path}")
    name = path.name.lower()
    try:
        if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            return pd.read_json(path, lines=True, dtype=False)
        if name.endswith((".json",)):
            return pd.read_json(path, dtype=False)
        return pd.read_csv(path, keep_default_na=False, sep=None, engine="python")
    except ValueError as exc:  # pandas' parse errors name neither the file nor, for JSONL, the line
        lines = name.endswith((".jsonl", ".jsonl.gz", ".ndjson"))
        kind = "JSONL" if lines else "JSON" if name.endswith(".json") else "CSV"
        raise ValueError((lines and _bad_json_line(path)) or f"{path}: cannot be read as {kind} ({exc})") from None


def _bad_json_line(path: Path) -> str | None:
    """`file:line: problem` for the first line of a JSONL file that is not a JSON object."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                return f"{path}:{number}: not valid JSON ({exc.msg}, column {exc.colno})"
            if not isinstance(item, dict):
                return f"{path}:{number}: expected a JSON object per line, found {type(item).__name__}"
    return None


SINGLE_LABEL = ("sentiment", "phase", "intent")  # the other gold label columns are lists


def check_gold(frame, taxonomy, path, sentiment_col: str = "sentiment", intents: list[str] | None = None):
    """The gold columns checked against the taxonomy (and `intents`, the intent model's labels, when
    given), `effort` / `churn_risk` read as booleans.

    An unknown label would silently count as a wrong prediction, and a flag written
    `true` in a CSV with empty cells would be left out: both stop the run instead,
    naming file, row and column. Empty cells are unlabelled (left out of that figure).
    """
    from voc_nlp.evaluation import _as_dict, _as_list

    allowed = {
        "sentiment": list(taxonomy.sentiment_labels), "phase": taxonomy.phase_ids,
        "emotions": taxonomy.emotion_ids, "touchpoints": taxonomy.touchpoint_ids,
    }
    if intents:
        allowed["intent"] = list(intents)
    frame = frame.copy()
    for column in [c for c in ("effort", "churn_risk") if c in frame.columns]:
        frame[column] = [_as_flag(value, path, row, column) for row, value in enumerate(frame[column], start=1)]
    for row, gold in enumerate(frame.to_dict("records"), start=1):
        where = f"{path} row {row}"
        try:
            values = {column: [gold[column]] if column in SINGLE_LABEL else _as_list(gold[column])
                      for column in allowed if column in gold and _present(gold[column])}
            sentiments = gold.get("touchpoint_sentiment")
            sentiments = _as_dict(sentiments) if _present(sentiments) else None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: a label column is not a list or JSON ({exc})") from None
        if sentiments:
            values["touchpoints"] = list(values.get("touchpoints") or []) + list(sentiments)
            values["touchpoint_sentiment"] = list(sentiments.values())
        for column, labels in values.items():
            expected = allowed["sentiment" if column == "touchpoint_sentiment" else column]
            for label in labels or []:
                if label not in expected:
                    name = sentiment_col if column == "sentiment" else column
                    hint = ("; a taxonomy of your own: give it with --taxonomy or --config"
                            if column in ("phase", "emotions", "touchpoints") else "")
                    raise ValueError(f"{where}, column {name}: '{label}' is not a known label "
                                     f"(expected one of: {', '.join(expected)}){hint}")
    return frame


def _as_flag(value, path, row: int, column: str):
    """A boolean gold label from true/false, 1/0 or yes/no; None when the cell is empty."""
    value = value.item() if hasattr(value, "item") else value  # numpy scalars
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return None
    text = str(value).strip().lower()
    if text in ("true", "1", "1.0", "yes"):
        return True
    if text in ("false", "0", "0.0", "no"):
        return False
    raise ValueError(f"{path} row {row}, column {column}: {value!r} is not true or false")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from voc_nlp.evaluation import labelled_metrics
    from voc_nlp.pipeline import ConfigError, Pipeline
    from voc_nlp.taxonomy import TaxonomyError

    try:
        frame = read_labelled(Path(args.labelled))
        overrides = {"taxonomy": str(Path(args.taxonomy).resolve())} if args.taxonomy else {}
        if getattr(args, "threads", None):
            overrides["encoder"] = {"threads": int(args.threads)}
        if getattr(args, "profile", None):
            overrides["profile"] = args.profile
        pipe = Pipeline.from_config(args.config, overrides=overrides)
    except (ConfigError, TaxonomyError, FileNotFoundError, KeyError, ValueError) as exc:
        print(f"voc-nlp evaluate: error: {exc}", file=sys.stderr)
        return 2
    if args.sentiment_col != "sentiment":
        if args.sentiment_col not in frame.columns:
            print(f"voc-nlp evaluate: error: {args.labelled}: no '{args.sentiment_col}' column; columns: "
                  f"{', '.join(map(str, frame.columns))}", file=sys.stderr)
            return 2
        frame = frame.drop(columns=["sentiment"], errors="ignore").rename(columns={args.sentiment_col: "sentiment"})
    if args.text_col not in frame.columns and "turns" not in frame.columns:
        print(f"voc-nlp evaluate: error: {args.labelled}: no '{args.text_col}' or 'turns' column; columns: "
              f"{', '.join(map(str, frame.columns))}", file=sys.stderr)
        return 2
    if args.by and args.by not in frame.columns:
        print(f"voc-nlp evaluate: error: {args.labelled}: no '{args.by}' column to break the figures down by; "
              f"columns: {', '.join(map(str, frame.columns))}", file=sys.stderr)
        return 2
    signals = next((step for step in pipe.steps if step.name == "signals"), None)
    try:
        frame = check_gold(frame, pipe.taxonomy, args.labelled, args.sentiment_col,
                           intents=signals.parts["intent"].labels if signals and "intent" in signals.parts else None)
    except ValueError as exc:
        print(f"voc-nlp evaluate: error: {exc}", file=sys.stderr)
        return 2

    inputs = pd.DataFrame({"id": frame["id"].astype(str) if "id" in frame else [str(i) for i in range(len(frame))]})
    has_turns = "turns" in frame.columns
    texts = frame[args.text_col] if args.text_col in frame.columns else pd.Series([None] * len(frame))
    turns = frame["turns"] if has_turns else pd.Series([None] * len(frame))
    # A chat given as turns is enriched from its turns (so only customer turns are scored).
    inputs["text"] = [None if _present(tu) else tx for tx, tu in zip(texts, turns)]
    if has_turns:
        inputs["turns"] = [tu if _present(tu) else None for tu in turns]
    if "lang" in frame.columns:
        inputs["lang"] = [lang if isinstance(lang, str) and lang else None for lang in frame["lang"]]
    from voc_nlp.io.columns import ColumnMap

    out = pipe.enrich(inputs, ColumnMap(text="text", id="id", lang="lang" if "lang" in inputs else None,
                                        turns="turns" if has_turns else None))
    gold = frame.to_dict("records")
    predicted = out.to_dict("records")
    figures = labelled_metrics(gold, predicted, pipe.taxonomy, by=args.by)
    figures["file"] = str(args.labelled)
    figures["errors"] = int(out["error"].notna().sum())
    if args.json:
        print(json.dumps(figures, indent=2, default=_plain))
    else:
        print(format_table(figures))
    return 0


def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return len(value) > 0


def _plain(value):
    try:
        return value.item()
    except AttributeError:
        return str(value)


def format_table(figures: dict) -> str:
    langs = [k for k in ("all", "en", "fr") if k in figures]
    lines = [f"{figures.get('file', '')}: " + ", ".join(f"{k} n={figures[k]['n']}" for k in langs)]
    lines += _figure_rows({k: figures[k] for k in langs})
    if "fr" in figures and "touchpoints" in figures["fr"]:
        lines.append(f"French touchpoint micro-F1: {figures['fr']['touchpoints']['micro_f1']:.3f}")
    if "by" in figures:
        groups = figures["by"]["groups"]
        lines.append("")
        lines.append(f"by {figures['by']['column']}: " + ", ".join(f"{k} n={v['n']}" for k, v in groups.items()))
        lines += _figure_rows(groups)
    if figures.get("errors"):
        lines.append(f"{figures['errors']} rows could not be enriched (see the error column of `voc-nlp enrich`)")
    return "\n".join(lines)


def _figure_rows(columns: dict[str, dict]) -> list[str]:
    """A header of column names (cut to 12 characters) and one row per figure any column has."""
    width = max([8] + [min(len(k), 12) + 1 for k in columns])
    rows = [(section, key, label) for (section, key), label in FIGURES if any(section in f for f in columns.values())]
    label_width = max([48] + [len(label) for _, _, label in rows])
    lines = [f"{'':{label_width}}" + "".join(f"{k[:12]:>{width}}" for k in columns)]
    for section, key, label in rows:
        cells = []
        for f in columns.values():
            value = f.get(section, {}).get(key)
            ok = isinstance(value, float) and not math.isnan(value)
            cells.append(f"{value:{width}.3f}" if ok else f"{'-':>{width}}")
        lines.append(f"{label:{label_width}}" + "".join(cells))
    return lines
