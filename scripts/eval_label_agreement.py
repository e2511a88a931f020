"""How far two readings of the same items agree: the team's labels against a blind second reading.

    python scripts/eval_label_agreement.py [FIRST.jsonl] [SECOND.jsonl] [--data-dir ../shared/data]

Defaults: the team's labels (`src/voc_nlp/training/labels/journey_team.jsonl`) and their blind
second reading (`journey_team_second_reading.jsonl` beside it: a seeded sample of 60 items per set,
labelled again by other annotation sessions that never saw the first labels). Items are matched by
(source, source_row). The first reading is scored as the gold and the second as the prediction, with
the figures `voc-nlp evaluate` prints (`voc_nlp.evaluation.labelled_metrics`), overall and per set:
so the agreement of two readers reads on the same scale as the models' figures, and says how far a
model trained on these labels can be expected to agree with any one reader.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.cli.evaluate import format_table  # noqa: E402
from voc_nlp.evaluation import labelled_metrics  # noqa: E402
from voc_nlp.paths import default_taxonomy  # noqa: E402
from voc_nlp.taxonomy import Taxonomy  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR  # noqa: E402
from voc_nlp.training.journey import TEAM_LABELS, read_labels  # noqa: E402

SECOND_READING = TEAM_LABELS.parent / "journey_team_second_reading.jsonl"


def _row(item: dict) -> tuple:
    """An item's place in the shared data: (set, row of its train split)."""
    return item.get("source"), item.get("source_row")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first", nargs="?", default=str(TEAM_LABELS))
    parser.add_argument("second", nargs="?", default=str(SECOND_READING))
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    args = parser.parse_args()
    taxonomy = Taxonomy.load(default_taxonomy())
    first = {_row(i): i for i in read_labels(args.first, taxonomy, data_dir=args.data_dir) if _row(i)[1] is not None}
    second = read_labels(args.second, taxonomy, data_dir=args.data_dir)
    missing = [_row(i) for i in second if _row(i) not in first]
    if missing:
        raise SystemExit(f"{args.second}: {len(missing)} items are not in {args.first}, e.g. {missing[0]}")
    gold = [first[_row(i)] for i in second]
    figures = labelled_metrics(gold, second, taxonomy, by="source")
    figures["file"] = f"{Path(args.second).name} against {Path(args.first).name} (as gold)"
    print(format_table(figures))


if __name__ == "__main__":
    main()
