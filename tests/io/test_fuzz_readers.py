"""Seeded fuzzing of the readers: never a crash, never a lost row (see fuzz_corpus.py).

scripts/fuzz_readers.py runs the same checks over 10,000+ rows.
"""

import pandas as pd
import pytest

from voc_nlp.io import read_feedback

from .fuzz_corpus import LATIN1, check_rows, make_corpus, write_csv


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_files_keep_every_row(tmp_path, seed):
    corpus = make_corpus(tmp_path, seed=seed, files=25, rows_per_file=40)
    problems, rows_in, rows_out = [], 0, 0
    for path, expected in corpus:
        frame = pd.concat(read_feedback([str(path)], chunk_size=7), ignore_index=True)
        rows_in, rows_out = rows_in + expected, rows_out + len(frame)
        problems += check_rows(frame, path, expected)
    assert rows_in > 300
    assert problems == [], problems[:10]
    assert rows_out == rows_in


def test_the_checks_catch_a_lost_row(tmp_path):
    # The fuzz checks must be able to fail: drop a row and they say so.
    import random

    path = tmp_path / "f.csv"
    expected = write_csv(random.Random(0), path, 20)
    frame = pd.concat(read_feedback([str(path)]), ignore_index=True)
    assert check_rows(frame, path, expected) == []
    assert check_rows(frame.drop(index=3), path, expected) == [f"f.csv: {expected} rows in, {expected - 1} out"]


def test_known_bad_and_latin1_rows_in_a_random_file(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,text\n1," + LATIN1 + b"\n2,bad \x81\x8d bytes\n3,fine\n")
    frame = pd.concat(read_feedback([str(path)]), ignore_index=True)
    assert frame.loc[0, "text"] == "Café très fréquenté, déçu" and frame.loc[0, "error"] is None
    assert "row 2: undecodable bytes in column text" in frame.loc[1, "error"]
