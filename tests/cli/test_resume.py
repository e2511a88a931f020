"""A killed `voc-nlp enrich` leaves the previous output alone; --resume finishes the job.

The runs are real subprocesses killed with SIGKILL (no cleanup code runs),
as a job scheduler or the out-of-memory killer would.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import voc_nlp
from voc_nlp.cli.__main__ import main

ROWS, CHUNK = 300, 10
SRC = str(Path(voc_nlp.__file__).resolve().parents[1])  # the voc_nlp under test


def _env():
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    return env


def _enrich(*args) -> list[str]:
    return [sys.executable, "-m", "voc_nlp.cli", "enrich", *args, "--chunk-size", str(CHUNK), "--quiet"]


@pytest.fixture
def feedback(tmp_path):
    words = ["late", "parcel", "refund", "app", "crash", "thanks", "great", "colis", "retard", "merci"]
    lines = ["id,text"] + [f"r{i},{words[i % 10]} {words[(i * 7) % 10]} {words[(i * 3) % 10]} {i}"
                           for i in range(ROWS)]
    path = tmp_path / "feedback.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _kill_after_chunks(command, parts: Path, chunks: int, timeout: float = 600) -> None:
    """Run `command` and SIGKILL it once `chunks` checkpoints are saved."""
    proc = subprocess.Popen(command, env=_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while len(list(parts.glob("chunk-*.parquet"))) < chunks:
            assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "no checkpoint saved in time"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()


def test_killed_run_keeps_the_previous_output_and_resume_equals_a_full_run(feedback, tmp_path):
    out = tmp_path / "out.parquet"
    out.write_bytes(b"the previous output")  # whatever was there must survive the kill
    parts = tmp_path / "out.parquet.parts"

    _kill_after_chunks(_enrich(str(feedback), "-o", str(out)), parts, chunks=3)
    assert out.read_bytes() == b"the previous output"
    saved = len(list(parts.glob("chunk-*.parquet")))
    assert 3 <= saved < ROWS // CHUNK, "killed mid-run"

    resumed = subprocess.run(_enrich(str(feedback), "-o", str(out), "--resume"), env=_env(),
                             stderr=subprocess.PIPE, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {saved * CHUNK} rows in {saved} chunks already done" in resumed.stderr
    assert not parts.exists()
    # The killed run's temporary file was cleaned up; only outputs remain.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback.csv", "out.parquet"]

    reference = tmp_path / "reference.parquet"
    assert main(["enrich", str(feedback), "-o", str(reference), "--chunk-size", str(CHUNK), "--quiet"]) == 0
    got, want = pq.read_table(out), pq.read_table(reference)
    assert got.num_rows == ROWS
    assert got.schema == want.schema
    assert got.to_pylist() == want.to_pylist()  # no timing fields: records must be identical


def test_resume_with_checkpoints_of_another_run_starts_over(tmp_path, capsys):
    feedback = tmp_path / "small.csv"
    feedback.write_text("id,text\na,Parcel late\nb,Great app\nc,Refund please\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    parts = tmp_path / "out.jsonl.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text('{"key": "of another run"}')
    (parts / "chunk-000001.parquet").write_bytes(b"stale")
    assert main(["enrich", str(feedback), "-o", str(out), "--resume", "--quiet"]) == 0
    assert "checkpoints are of other input files, options or pipeline; starting from the beginning" \
        in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 3
    assert not parts.exists()


def test_resume_with_topics_is_refused(feedback, tmp_path, capsys):
    code = main(["enrich", str(feedback), "-o", str(tmp_path / "o.parquet"), "--resume", "--topics"])
    assert code == 2
    assert "--resume does not work with topic flags" in capsys.readouterr().err
