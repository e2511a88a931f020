"""Writes pii_cases.jsonl and pii_heldout.jsonl from the hand-written examples
in pii_cases_source.txt and pii_heldout_source.txt.

The examples are written by hand. Markup in a line:
  [[TYPE|value]]   personal data of TYPE (EMAIL, PHONE, CARD, IBAN, URL);
                   in a CARD value the last "?" is replaced by the Luhn check
                   digit, in an IBAN value "??" by the mod-97 check digits;
  {{NOLUHN|digits}}  a long number that is NOT a card: its last digit is
                   changed if needed so that it fails the Luhn check;
  {{BADIBAN|value}}  an IBAN-shaped string whose check digits are wrong.
A line starts with its language ("en " or "fr "). Lines starting with "#" are
comments. Run: python tests/text/data/build_pii_cases.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = re.compile(r"\[\[(EMAIL|PHONE|CARD|IBAN|URL)\|(.+?)\]\]|\{\{(NOLUHN|BADIBAN)\|(.+?)\}\}")


def luhn_ok(digits: str) -> bool:
    # Written again on purpose: the fixtures must not share a bug with the detector they test.
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def fill_luhn(value: str) -> str:
    if "?" not in value:
        assert luhn_ok(re.sub(r"\D", "", value)), f"not a valid card number: {value}"
        return value
    pos = value.rindex("?")
    for d in "0123456789":
        cand = value[:pos] + d + value[pos + 1 :]
        if luhn_ok(re.sub(r"\D", "", cand)):
            return cand
    raise AssertionError(value)


def iban_remainder(compact: str) -> int:
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97


def fill_iban(value: str) -> str:
    compact = re.sub(r"\s", "", value).upper().replace("??", "00")
    check = 98 - iban_remainder(compact)
    return value.replace("??", f"{check:02d}", 1)


def break_luhn(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not luhn_ok(digits):
        return value
    last = value[-1]
    return value[:-1] + str((int(last) + 1) % 10)


def break_iban(value: str) -> str:
    compact = re.sub(r"\s", "", value).upper()
    if iban_remainder(compact) != 1:
        return value
    return value[:2] + f"{(int(value[2:4]) + 1) % 100:02d}" + value[4:]


def build(source: Path, target: Path) -> int:
    rows = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, raw = line.split(" ", 1)
        raw = raw.replace("\\n", "\n")  # chat transcripts: one line each in the source
        text, spans, pos = "", [], 0
        for m in MARK.finditer(raw):
            text += raw[pos : m.start()]
            if m.group(1):
                kind, value = m.group(1), m.group(2)
                if kind == "CARD":
                    value = fill_luhn(value)
                elif kind == "IBAN" and "??" in value:
                    value = fill_iban(value)
                spans.append({"start": len(text), "end": len(text) + len(value), "type": kind, "value": value})
            else:
                value = break_luhn(m.group(4)) if m.group(3) == "NOLUHN" else break_iban(m.group(4))
            text += value
            pos = m.end()
        text += raw[pos:]
        rows.append({"lang": lang, "text": text, "pii": spans})
    with target.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


if __name__ == "__main__":
    for name in ("pii_cases", "pii_heldout"):
        n = build(HERE / f"{name}_source.txt", HERE / f"{name}.jsonl")
        print(f"{name}.jsonl: {n} examples")
