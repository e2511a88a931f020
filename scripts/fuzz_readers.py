"""Fuzz the readers over 10,000+ generated rows; print rows in, out and lost.

    python scripts/fuzz_readers.py                 # seed 0, 400 files
    python scripts/fuzz_readers.py --seed 7 --files 1000

Files are generated in a temporary folder by tests/io/fuzz_corpus.py (CSV
with random bytes, Latin-1 rows, NULs, ragged rows, mixed line endings;
JSONL and JSON of any shape) and read with `read_feedback`. A row is lost
when a file gives fewer records than it has rows; every other broken
promise (a crash, a record without an id, text that cannot be written as
UTF-8, an error not naming the file) is listed too. Exit status 1 if any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "io"))
from fuzz_corpus import check_rows, make_corpus  # noqa: E402

from voc_nlp.io import InputError, read_feedback  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--rows-per-file", type=int, default=60, help="at most; each file draws 1..N")
    args = parser.parse_args()

    started = time.perf_counter()
    rows_in = rows_out = errors = crashes = 0
    by_kind: Counter = Counter()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        corpus = make_corpus(Path(folder), args.seed, args.files, args.rows_per_file)
        for path, expected in corpus:
            rows_in += expected
            by_kind[path.suffix] += expected
            try:
                frame = pd.concat(read_feedback([str(path)], chunk_size=50), ignore_index=True)
            except InputError as exc:  # a whole-file refusal loses every row of the file
                crashes += 1
                problems.append(f"{path.name}: refused: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - a crash is exactly what we look for
                crashes += 1
                problems.append(f"{path.name}: crash: {type(exc).__name__}: {exc}")
                continue
            rows_out += len(frame)
            errors += int(frame["error"].notna().sum())
            problems += check_rows(frame, path, expected)

    lost = rows_in - rows_out
    seconds = time.perf_counter() - started
    kinds = ", ".join(f"{kind[1:]} {n}" for kind, n in sorted(by_kind.items()))
    print(f"fuzz_readers: seed {args.seed}, {args.files} files ({kinds} rows)")
    print(f"rows in {rows_in}, rows out {rows_out}, lost {lost}; {errors} rows with error; "
          f"{crashes} files crashed or refused; {len(problems)} problems; {seconds:.1f} s")
    for problem in problems[:20]:
        print("  " + problem)
    return 1 if problems or lost else 0


if __name__ == "__main__":
    sys.exit(main())
