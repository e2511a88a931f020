"""Per-chunk checkpoints, so a killed `voc-nlp enrich` can be resumed.

While a run enriches its input, each chunk's records are also saved as
`OUTPUT.parts/chunk-000001.parquet`, ... The folder's `manifest.json` holds
the run's key: a hash of the input files (path, size, modification time),
the options that shape the rows (columns, encoding, chunk size...) and the
pipeline (its config and rule files, model versions and taxonomy file). `--resume` reuses
the chunks saved under the same key and enriches only the rest; a different
key means the saved chunks describe other input or another pipeline, and
they are discarded. Once the output is complete the folder is deleted.

Chunks are cut the same way on every run of the same key and the pipeline
is deterministic, so the output of a resumed run equals that of an
uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from voc_nlp.schema import ARROW_SCHEMA

MANIFEST = "manifest.json"


def parts_folder(output: str) -> Path:
    """Where the checkpoints of a run writing `output` live."""
    return Path(output + ".parts")


def input_fingerprint(files: list[str]) -> list[dict[str, Any]]:
    """Path, size and modification time of each input file.

    Cheap (no file is read) and changes whenever a file is rewritten.
    """
    fingerprint = []
    for name in files:
        stat = os.stat(name)
        fingerprint.append({"path": os.path.abspath(name), "size": stat.st_size,
                            "mtime_ns": stat.st_mtime_ns})
    return fingerprint


def pipeline_fingerprint(pipe) -> dict[str, Any]:
    """What decides the pipeline's output: its config and rule files, model versions and taxonomy."""
    taxonomy = Path(pipe.base_dir) / (pipe.config.get("taxonomy") or "taxonomy.yaml")
    taxonomy_hash = hashlib.sha256(taxonomy.read_bytes()).hexdigest() if taxonomy.is_file() else None
    return {"config": pipe.config, "rules_sha256": pipe.rules_sha256(), "model_version": pipe.model_version,
            "taxonomy_sha256": taxonomy_hash}


def run_key(inputs: list[dict], options: dict, pipeline: dict) -> str:
    """One hash of everything that decides a run's records."""
    text = json.dumps({"inputs": inputs, "options": options, "pipeline": pipeline},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Checkpoints:
    """The saved chunks of one run, in `parts_folder(output)`."""

    def __init__(self, output: str, key: str):
        self.folder = parts_folder(output)
        self.key = key

    def start(self, resume: bool) -> tuple[int, int, str | None]:
        """Prepare the folder; return (chunks done, rows done, note for the user).

        With `resume`, chunks saved under this run's key are kept. Otherwise,
        or when the key differs, the folder is emptied and the run starts
        from the beginning; the note says why when chunks were dropped.
        """
        had_chunks = self.folder.is_dir() and any(self.folder.glob("chunk-*.parquet"))
        same_run = self._manifest_key() == self.key
        if resume and same_run and had_chunks:
            done = self._saved()
            return len(done), sum(done.values()), None
        note = None
        if had_chunks and not resume:
            note = (f"{self.folder}: discarding the checkpoints of an interrupted run "
                    "(add --resume to continue it instead)")
        elif had_chunks:
            note = (f"{self.folder}: the checkpoints are of other input files, options or "
                    "pipeline; starting from the beginning")
        elif resume:
            note = f"{self.folder}: no checkpoints to resume from; starting from the beginning"
        self.remove()
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.folder / MANIFEST, json.dumps({"key": self.key}).encode("utf-8"))
        return 0, 0, note

    def load(self, index: int) -> pa.Table | None:
        """The saved records of chunk `index`, or None if it is not done."""
        path = self._chunk_path(index)
        if not path.exists():
            return None
        # The schema is set again: a file holds it, but without the exact
        # metadata-free form the writers compare against.
        return pq.read_table(path).cast(ARROW_SCHEMA).replace_schema_metadata(None)

    def save(self, index: int, table: pa.Table) -> None:
        """Save chunk `index`; a kill during the save leaves no half chunk."""
        path = self._chunk_path(index)
        temp = path.with_name(path.name + ".tmp")
        pq.write_table(table, temp, compression="zstd")
        os.replace(temp, path)

    def remove(self) -> None:
        """Delete the folder: the output is complete, or the run starts over."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _chunk_path(self, index: int) -> Path:
        return self.folder / f"chunk-{index + 1:06d}.parquet"

    def _manifest_key(self) -> str | None:
        try:
            return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8")).get("key")
        except (OSError, ValueError, AttributeError):
            return None

    def _saved(self) -> dict[int, int]:
        """{chunk index: rows} of the chunks saved so far."""
        saved = {}
        for path in sorted(self.folder.glob("chunk-*.parquet")):
            index = int(path.stem.split("-")[1]) - 1
            saved[index] = pq.ParquetFile(path).metadata.num_rows
        return saved


def _write_atomically(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
