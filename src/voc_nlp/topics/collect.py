"""Topics over a whole batch with bounded memory (used by `voc-nlp enrich --topics`).

Topics are corpus-level, so enrichment becomes two streaming passes:

1. **While enriching** (`UnitCollector`, appended as the last pipeline step):
   every unit to cluster (pain-point units, or all scored units) has its
   shared embedding spilled to a temporary float16 file and its text to a
   temporary JSONL file, with its row position and pain score kept in
   compact arrays; a seeded reservoir sample (at most `sample_size` units)
   is kept in memory for fitting. The enriched records wait, as the Arrow
   tables the pipeline made, in a `RecordBuffer`.
2. **After the pass** (`TopicJob.finish`): fit `PainPointTopics` on the sample
   (or load a saved model), assign every spilled unit in blocks (nearest
   centroid with the similarity floor), give each item the topic of its
   strongest unit, then pass the waiting tables to the real output with
   `topic_id`, `topic_label`, `topic_keywords` set (Arrow columns replaced:
   no conversion), counting items per topic, period, touchpoint and phase for
   the topics table.

Memory: the sample (<= sample_size x dim float16), 16 bytes per clustered
unit, 4 bytes per row, and the waiting records up to `RecordBuffer`'s budget
(256 MB); past it the tables go to an Arrow IPC file read back memory-mapped,
so nothing else grows with the input.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.topics.model import PainPointTopics
from voc_nlp.topics.trends import TopicCounts, emerging, per_period

NOT_CLUSTERED = -2  # row had no unit to cluster: topic columns stay null


class UnitCollector(Component):
    """Last pipeline step: spills the units to cluster, keeps a seeded reservoir sample."""

    name = "topic_collector"
    requires = ("doc.vectors",)

    def __init__(self, workdir: Path, on: str = "pain_points", sample_size: int = 100_000, seed: int = 13):
        if on not in ("pain_points", "all"):
            raise ValueError(f"topics on {on!r}: expected pain_points or all")
        self.on = on
        self.sample_size = sample_size
        self.rng = np.random.RandomState(seed)
        self.workdir = Path(workdir)
        self._emb = open(self.workdir / "units.f16", "wb")
        self._texts = open(self.workdir / "units.jsonl", "w", encoding="utf-8")
        self.rows = array("q")  # row position of each spilled unit
        self.keys = array("f")  # which unit speaks for its item: pain score, or length
        self.n_units = 0
        self.n_rows = 0
        self.dim = 0
        self.sample_texts: list[str] = []
        self.sample_vectors: np.ndarray | None = None

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        for i, doc in enumerate(docs):
            position = self.n_rows + i
            if not doc.ok or doc.vectors is None or not len(doc.vectors):
                continue
            units = doc.scored_units
            if self.on == "pain_points":
                chosen = [k for k, u in enumerate(units) if u.pain_point]
                keys = [units[k].pain_point_score or 0.0 for k in chosen]
            else:
                chosen = list(range(len(units)))
                keys = [float(len(units[k].text)) for k in chosen]
            for k, key in zip(chosen, keys):
                # Verbatim unit text: quotes read as the customer wrote them.
                self._add(position, key, units[k].text, doc.vectors[k])
        self.n_rows += len(docs)

    def _add(self, position: int, key: float, text: str, vector: np.ndarray) -> None:
        v16 = np.asarray(vector, dtype=np.float16)
        if self.sample_vectors is None:
            self.dim = len(v16)
            self.sample_vectors = np.zeros((min(self.sample_size, 1 << 16), self.dim), dtype=np.float16)
        self._emb.write(v16.tobytes())
        self._texts.write(json.dumps(text, ensure_ascii=False) + "\n")
        self.rows.append(position)
        self.keys.append(key)
        # Reservoir sampling (algorithm R), seeded: the sample depends only on the input.
        n = self.n_units
        if n < self.sample_size:
            if n >= len(self.sample_vectors):
                grown = np.zeros((min(self.sample_size, 2 * len(self.sample_vectors)), self.dim), np.float16)
                grown[: len(self.sample_vectors)] = self.sample_vectors
                self.sample_vectors = grown
            self.sample_vectors[n] = v16
            self.sample_texts.append(text)
        else:
            j = self.rng.randint(0, n + 1)
            if j < self.sample_size:
                self.sample_vectors[j] = v16
                self.sample_texts[j] = text
        self.n_units += 1

    def close(self) -> None:
        self._emb.close()
        self._texts.close()

    def sample(self) -> tuple[list[str], np.ndarray]:
        m = min(self.n_units, self.sample_size)
        vectors = self.sample_vectors[:m] if self.sample_vectors is not None else np.zeros((0, 0))
        return self.sample_texts[:m], vectors.astype(np.float32)

    def iter_blocks(self, block: int = 65536):
        """(start, float32 embeddings) blocks of all spilled units, in order."""
        if not self.n_units:
            return
        data = np.memmap(self.workdir / "units.f16", dtype=np.float16, mode="r", shape=(self.n_units, self.dim))
        for start in range(0, self.n_units, block):
            yield start, np.asarray(data[start : start + block], dtype=np.float32)
        del data


class RecordBuffer:
    """The enriched tables of a batch, held for the pass after the topic fit.

    Has a writer's `write_table` and `rows_written`, so the enrichment loop
    writes to it as to an output. Tables stay in memory up to `budget` bytes;
    the rest go to an Arrow IPC stream in `folder` (Arrow's own layout: no
    encoding, read back memory-mapped), so a large batch does not fill the memory.
    """

    def __init__(self, folder: Path, budget: int = 256 << 20):
        self.path = Path(folder) / "records.arrows"
        self.budget = budget
        self.in_memory: list[pa.Table] = []
        self.bytes_in_memory = 0
        self.rows_written = 0
        self._spill = None

    def write_table(self, table: pa.Table) -> None:
        self.rows_written += table.num_rows
        if self._spill is None and self.bytes_in_memory + table.nbytes <= self.budget:
            self.in_memory.append(table)
            self.bytes_in_memory += table.nbytes
            return
        if self._spill is None:
            self._spill = pa.ipc.new_stream(pa.OSFile(str(self.path), "wb"), table.schema)
        self._spill.write_table(table)

    def tables(self):
        """The tables in the order written."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        yield from self.in_memory
        if self.path.exists():
            with pa.memory_map(str(self.path)) as source:
                yield from (pa.Table.from_batches([batch]) for batch in pa.ipc.open_stream(source))

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def __enter__(self) -> "RecordBuffer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class TopicSummary:
    """What the topics table says; also returned to the caller."""

    topics_on: str
    period: str
    model: str  # "fitted on this batch" or the path of the loaded model
    n_rows: int
    n_clustered_units: int
    n_unassigned_units: int
    n_clustered_items: int
    n_unassigned_items: int
    topics: list[dict] = field(default_factory=list)
    unassigned_examples: list[str] = field(default_factory=list)
    unassigned_per_period: dict[str, int] = field(default_factory=dict)

    @property
    def unassigned_unit_share(self) -> float:
        return self.n_unassigned_units / self.n_clustered_units if self.n_clustered_units else 0.0


class TopicJob:
    """One `enrich --topics` run: collector during the pass, `finish` after it."""

    def __init__(self, on: str = "pain_points", model_path: str | None = None, save_path: str | None = None,
                 period: str = "month", sample_size: int = 100_000, seed: int = 13,
                 model_params: dict | None = None, encoder: str = ""):
        self.on = on
        self.model_path = model_path
        self.save_path = save_path
        self.period = period
        self.seed = seed
        self.encoder = encoder
        self.model_params = dict(model_params or {})
        self.model = PainPointTopics.load(model_path) if model_path else None
        if self.model is not None and encoder and self.model.encoder_ and self.model.encoder_ != encoder:
            raise ValueError(f"topic model {model_path} was fitted on {self.model.encoder_}, "
                             f"this pipeline encodes with {encoder}")
        self.workdir = Path(tempfile.mkdtemp(prefix="voc-topics-"))
        self.records = RecordBuffer(self.workdir)
        self.collector = UnitCollector(self.workdir, on=on, sample_size=sample_size, seed=seed)

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- after the pass --------------------------------------------------------

    def fit_or_load(self) -> PainPointTopics | None:
        if self.model is not None:
            return self.model
        texts, vectors = self.collector.sample()
        if len(texts) < 10:
            return None
        self.model = PainPointTopics(random_state=self.seed, **self.model_params).fit(
            texts, vectors, encoder=self.encoder)
        if self.save_path:
            self.model.save(self.save_path)
        return self.model

    def item_topics(self, model: PainPointTopics) -> tuple[np.ndarray, np.ndarray]:
        """Topic per row (NOT_CLUSTERED when the row had no unit) and unit labels."""
        c = self.collector
        labels = np.full(c.n_units, -1, dtype=np.int32)
        for start, block in c.iter_blocks():
            labels[start : start + len(block)] = model.assign(block)[0]
        rows = np.frombuffer(c.rows, dtype=np.int64) if c.n_units else np.zeros(0, np.int64)
        keys = np.frombuffer(c.keys, dtype=np.float32) if c.n_units else np.zeros(0, np.float32)
        per_row = np.full(c.n_rows, NOT_CLUSTERED, dtype=np.int32)
        if c.n_units:
            # The item's topic is that of its strongest assigned unit (pain score;
            # longest unit with --topics-on all); -1 if none of its units fits.
            order = np.lexsort((-keys, -(labels >= 0).astype(np.int8), rows))
            first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
            per_row[rows[first]] = labels[first]
        return per_row, labels

    def finish(self, writer) -> TopicSummary:
        """Fit/assign, then stream the records into `writer` with topic columns filled."""
        self.collector.close()
        model = self.fit_or_load()
        c = self.collector
        if model is None:
            per_row = np.full(c.n_rows, NOT_CLUSTERED, dtype=np.int32)
            unit_labels = np.full(c.n_units, -1, dtype=np.int32)
        else:
            per_row, unit_labels = self.item_topics(model)
        topics = model.topic_by_id if model is not None else {}

        counts = TopicCounts(self.period)
        touch: dict[int, Counter] = defaultdict(Counter)
        phases: dict[int, Counter] = defaultdict(Counter)
        position = 0
        for table in self.records.tables():
            n = table.num_rows
            assigned = per_row[position : position + n]
            created = table.column("created_at").to_pylist()
            phase_of = table.column("phase").to_pylist()
            touchpoints_of = table.column("touchpoints").to_pylist()
            ids, labels, keywords = [], [], []
            for k, t in enumerate(assigned):
                if t == NOT_CLUSTERED:
                    ids.append(None), labels.append(None), keywords.append([])
                    continue
                topic = topics.get(int(t))
                ids.append(int(t))
                labels.append(topic.label if topic else None)
                keywords.append(list(topic.keywords) if topic else [])
                counts.add(int(t), created[k])
                if phase_of[k]:
                    phases[int(t)][phase_of[k]] += 1
                for tp in touchpoints_of[k] or []:
                    touch[int(t)][tp] += 1
            for name, values in (("topic_id", ids), ("topic_label", labels), ("topic_keywords", keywords)):
                i = table.schema.get_field_index(name)
                table = table.set_column(i, table.schema.field(i), pa.array(values, table.schema.field(i).type))
            writer.write_table(table)
            position += n

        table = counts.table()
        flags = emerging(table)
        clustered = int((per_row != NOT_CLUSTERED).sum())
        sizes = Counter(int(t) for t in per_row if t >= 0)
        unit_sizes = Counter(int(t) for t in unit_labels if t >= 0)
        rows = []
        for topic_id, topic in sorted(topics.items()):
            rows.append({
                "topic_id": topic_id,
                "label": topic.label,
                "keywords": topic.keywords,
                "phrases": topic.phrases,
                "items": sizes.get(topic_id, 0),
                "units": unit_sizes.get(topic_id, 0),
                "share": round(sizes.get(topic_id, 0) / clustered, 4) if clustered else 0.0,
                "quotes": topic.quotes,
                "touchpoints": [k for k, _ in touch[topic_id].most_common(3)],
                "phases": [k for k, _ in phases[topic_id].most_common(2)],
                "per_period": per_period(table, topic_id),
                "emerging": flags.get(topic_id, False),
                "size_in_fit": topic.size,
            })
        rows.sort(key=lambda r: (-r["items"], r["topic_id"]))
        summary = TopicSummary(
            topics_on=self.on, period=self.period,
            model=str(self.model_path) if self.model_path else "fitted on this batch",
            n_rows=c.n_rows, n_clustered_units=c.n_units,
            n_unassigned_units=int((unit_labels < 0).sum()) if model is not None else c.n_units,
            n_clustered_items=clustered, n_unassigned_items=int((per_row == -1).sum()),
            topics=rows, unassigned_examples=self._unassigned_examples(unit_labels),
            unassigned_per_period=per_period(table, -1),
        )
        return summary

    def _unassigned_examples(self, unit_labels: np.ndarray, n: int = 10) -> list[str]:
        """A seeded sample of unit texts that fit no topic: candidates for new topics."""
        missing = np.flatnonzero(unit_labels < 0)
        if not len(missing):
            return []
        pick = set(np.random.RandomState(self.seed).choice(missing, min(n, len(missing)), replace=False).tolist())
        out = []
        with open(self.workdir / "units.jsonl", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i in pick:
                    out.append(json.loads(line))
        return out


def write_topics_table(summary: TopicSummary, output: str) -> tuple[Path, Path]:
    """`<output stem>.topics.json` and `.topics.csv` next to the output."""
    out = Path(output)
    stem = out.stem  # out.parquet -> out.topics.json
    json_path = out.with_name(f"{stem}.topics.json")
    csv_path = out.with_name(f"{stem}.topics.csv")
    payload = {
        "topics_on": summary.topics_on,
        "model": summary.model,
        "period": summary.period,
        "rows": summary.n_rows,
        "clustered_items": summary.n_clustered_items,
        "unassigned_items": summary.n_unassigned_items,
        "clustered_units": summary.n_clustered_units,
        "unassigned_units": summary.n_unassigned_units,
        "unassigned_unit_share": round(summary.unassigned_unit_share, 4),
        "unassigned_per_period": summary.unassigned_per_period,
        "new_topic_candidates": summary.unassigned_examples,
        "topics": summary.topics,
    }
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    periods = sorted({p for t in summary.topics for p in t["per_period"]})
    flat = []
    for t in summary.topics:
        row = {
            "topic_id": t["topic_id"], "label": t["label"], "items": t["items"], "share": t["share"],
            "emerging": t["emerging"], "keywords": "; ".join(t["keywords"]),
            "touchpoints": "; ".join(t["touchpoints"]), "phases": "; ".join(t["phases"]),
            "quotes": " | ".join(t["quotes"]),
        }
        row.update({f"count_{p}": t["per_period"].get(p, 0) for p in periods})
        flat.append(row)
    pd.DataFrame(flat).to_csv(csv_path, index=False)
    return json_path, csv_path


def remove_quietly(path: Path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
