"""Writers publish their output whole or not at all, even when killed."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import voc_nlp
from voc_nlp.io import open_writer, records_to_frame
from voc_nlp.io.writers import _temp_path

from .test_writers import make_records, write_records

SRC = str(Path(voc_nlp.__file__).resolve().parents[1])


@pytest.mark.parametrize("name", ["out.parquet", "out.jsonl", "out.csv"])
def test_the_output_appears_only_when_the_writer_closes(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"previous")
    with open_writer(str(path)) as writer:
        writer.write(records_to_frame(make_records()))
        assert path.read_bytes() == b"previous"  # not touched while writing
        assert os.path.exists(writer.temp_path) and Path(writer.temp_path).parent == tmp_path
    assert path.read_bytes() != b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("name", ["out.parquet", "out.jsonl", "out.csv"])
def test_a_failed_run_keeps_the_previous_output(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"previous")
    with pytest.raises(RuntimeError):
        with open_writer(str(path)) as writer:
            writer.write(records_to_frame(make_records()))
            raise RuntimeError("the pipeline failed")
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_temporary_files_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    path = tmp_path / "out.jsonl"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale, live = _temp_path(str(path), int(dead)), _temp_path(str(path), os.getppid())
    for temp in (stale, live):
        Path(temp).write_text("half a file")
    write_records(path, make_records())
    assert not os.path.exists(stale)
    assert os.path.exists(live)  # another run still writing: not ours to delete


def test_duckdb_run_is_one_transaction(tmp_path):
    db = tmp_path / "voc.duckdb"
    write_records(db, make_records()[:1])
    with pytest.raises(RuntimeError):
        with open_writer(str(db)) as writer:
            writer.write(records_to_frame(make_records()))
            raise RuntimeError("the pipeline failed")
    with duckdb.connect(str(db)) as con:
        assert con.execute("select id from feedback").fetchall() == [("r1",)]


# A writer that writes one chunk, says so, and waits to be killed.
KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from voc_nlp.io import open_writer, records_to_frame
    sys.path.insert(0, sys.argv[2])
    from test_writers import make_records
    writer = open_writer(sys.argv[1])
    writer.write(records_to_frame(make_records()))
    print("written", flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("name", ["out.parquet", "out.jsonl", "out.duckdb"])
def test_sigkill_mid_write_leaves_the_previous_output(tmp_path, name):
    path = tmp_path / name
    write_records(path, make_records()[:1])
    before = path.read_bytes() if name != "out.duckdb" else None
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path), str(Path(__file__).parent)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    if name == "out.duckdb":
        with duckdb.connect(str(path)) as con:  # replays the log: the uncommitted run is gone
            assert con.execute("select id from feedback").fetchall() == [("r1",)]
    else:
        assert path.read_bytes() == before
    if name == "out.parquet":
        assert pq.read_table(path).num_rows == 1  # still a whole, readable file
