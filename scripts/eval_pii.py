"""PII masking on the written fixtures: recall per type, and how many numbers
that are not personal data get masked.

    python scripts/eval_pii.py [FILE.jsonl ...] [--show-errors]
    python scripts/eval_pii.py --scan reviews.csv [--column text]   # unlabelled data: what gets masked

Default files: tests/text/data/pii_cases.jsonl (246 examples) and
tests/text/data/pii_heldout.jsonl (65, written before the detectors were run).
Each line: {"lang", "text", "pii": [{"start", "end", "type", "value"}]}.

- recall of a type: share of its written spans that one detected span of the
  same type covers entirely (a half-masked phone number is a miss);
- precision of a type: share of detected spans of that type that overlap a
  written span of the same type;
- non-PII numbers masked: every whitespace-separated token holding a digit
  and lying outside the written spans (order numbers, dates, prices, flight
  numbers, postcodes, …) counts once; it is masked when a detected span
  touches it.

`--scan` reads any CSV / JSONL / Parquet export (pandas) and prints every
value that would be masked, with its context, to read by eye: a precision
check on real feedback, and a way to spot what is missed (it also lists
unmasked runs of 7+ digits).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.text.pii import PII_TYPES, find_pii  # noqa: E402

DEFAULT_FILES = [ROOT / "tests/text/data/pii_cases.jsonl", ROOT / "tests/text/data/pii_heldout.jsonl"]
NUMBER_TOKEN = re.compile(r"\S*\d\S*")


def evaluate(rows: list[dict]) -> dict:
    gold = {t: 0 for t in PII_TYPES}
    found = {t: 0 for t in PII_TYPES}
    detected = {t: 0 for t in PII_TYPES}
    correct = {t: 0 for t in PII_TYPES}
    numbers = numbers_masked = 0
    errors = []
    for row in rows:
        text, spans = row["text"], row["pii"]
        predicted = find_pii(text)
        for g in spans:
            gold[g["type"]] += 1
            if any(p.type == g["type"] and p.start <= g["start"] and p.end >= g["end"] for p in predicted):
                found[g["type"]] += 1
            else:
                errors.append(f"missed {g['type']} {g['value']!r} in: {text!r}")
        for p in predicted:
            detected[p.type] += 1
            if any(p.type == g["type"] and p.start < g["end"] and g["start"] < p.end for g in spans):
                correct[p.type] += 1
            elif not any(p.start < g["end"] and g["start"] < p.end for g in spans):
                errors.append(f"masked non-PII as {p.type}: {p.value!r} in: {text!r}")
        for m in NUMBER_TOKEN.finditer(text):
            if any(m.start() < g["end"] and g["start"] < m.end() for g in spans):
                continue
            numbers += 1
            if any(m.start() < p.end and p.start < m.end() for p in predicted):
                numbers_masked += 1
    return {
        "gold": gold, "found": found, "detected": detected, "correct": correct,
        "numbers": numbers, "numbers_masked": numbers_masked, "errors": errors,
    }


def report(name: str, rows: list[dict], result: dict) -> None:
    print(f"{name}: {len(rows)} examples")
    print(f"  {'type':<6} {'spans':>5} {'recall':>7} {'precision':>9}")
    for t in PII_TYPES:
        g, f, d, c = (result[k][t] for k in ("gold", "found", "detected", "correct"))
        recall = f"{f / g:.3f}" if g else "-"
        precision = f"{c / d:.3f}" if d else "-"
        print(f"  {t:<6} {g:>5} {recall:>7} {precision:>9}")
    n, masked = result["numbers"], result["numbers_masked"]
    print(f"  non-PII numbers masked: {masked} of {n} ({masked / max(n, 1):.1%})")


def scan(path: Path, column: str) -> None:
    import pandas as pd

    name = str(path)
    if ".jsonl" in path.suffixes:
        frame = pd.read_json(path, lines=True)
    elif path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path)
    texts = frame[column].dropna().astype(str).tolist()
    counts = {t: 0 for t in PII_TYPES}
    long_digits = re.compile(r"\+?\(?\d[\d\-. ()/]{5,}\d")
    unmasked = []
    for text in texts:
        spans = find_pii(text)
        for s in spans:
            counts[s.type] += 1
            print(f"  {s.type:<5} {s.value!r:<40} | {text[max(0, s.start - 40) : s.end + 20]!r}")
        for m in long_digits.finditer(text):
            if sum(c.isdigit() for c in m.group()) >= 7 and not any(
                m.start() < s.end and s.start < m.end() for s in spans
            ):
                unmasked.append(f"  kept  {m.group()!r:<40} | {text[max(0, m.start() - 40) : m.end() + 20]!r}")
    print("\n".join(unmasked))
    print(f"{name}: {len(texts)} texts, masked {counts}, {len(unmasked)} runs of 7+ digits kept")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--show-errors", action="store_true", help="print every miss and false mask")
    parser.add_argument("--scan", type=Path, action="append", help="unlabelled export to scan (repeatable)")
    parser.add_argument("--column", default="text", help="text column for --scan (default: text)")
    args = parser.parse_args(argv)
    if args.scan:
        for path in args.scan:
            scan(path, args.column)
        return 0
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        result = evaluate(rows)
        report(path.name, rows, result)
        if args.show_errors:
            for line in result["errors"]:
                print("   ", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
