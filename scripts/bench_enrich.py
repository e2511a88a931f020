"""Throughput and memory of the enrichment job, and of the bare encoder.

    python scripts/bench_enrich.py [--rows 10000] [--config configs/default.yaml] [--profile accurate]
    python scripts/bench_enrich.py --cli [--input tweets.csv] [--rows 5000] [--profile accurate]

Generates N tweet-length feedback rows (recombined from the bundled sample,
deterministically), runs the same path as `voc-nlp enrich` (read CSV ->
pipeline -> Parquet) and prints rows/s and peak RSS; then encodes the same
unit texts with the bare encoder (all its views, as the pipeline does; then
the base view alone), so the pipeline's overhead is visible; then the CPU
time of each component on the same rows.

`--cli`: the issue-23 ratio instead. `voc-nlp enrich INPUT -o out.parquet`
timed end to end in a fresh process (start-up included), then, in the same
run, one bare all-MiniLM-L6-v2 torch pass over the same texts (batch 64, 2
threads; the `minilm` encoder backend); prints both and their ratio.
`--input`: a CSV with a `text` column (default: N generated rows).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.io import ColumnMap, canonical_frame, open_writer, read_feedback  # noqa: E402
from voc_nlp.pipeline import Pipeline, to_doc  # noqa: E402


def generate_rows(n: int, seed: int = 13) -> pd.DataFrame:
    """Tweet-length items: sample sentences, recombined with order numbers."""
    sample = pd.read_csv(ROOT / "samples" / "feedback.csv", keep_default_na=False)
    texts = [t for t in sample["text"] if "\n" not in t and 20 <= len(t) <= 280]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text = rng.choice(texts)
        if rng.random() < 0.5:
            text = f"{text} (order #{rng.randint(1000, 99999)})"
        rows.append({"id": f"b{i:07d}", "created_at": f"2026-0{1 + i % 6}-1{i % 10}T10:00:00Z",
                     "channel": "twitter", "text": text})
    return pd.DataFrame(rows)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--config", default=None)
    parser.add_argument("--profile", default=None, help="one of the config's profiles (default: its default)")
    parser.add_argument("--cli", action="store_true", help="voc-nlp enrich end to end against a bare MiniLM pass")
    parser.add_argument("--input", type=Path, default=None, help="--cli: a CSV with a text column")
    args = parser.parse_args()
    if args.cli:
        cli_ratio(args)
        return

    pipe = Pipeline.from_config(args.config, overrides={"profile": args.profile} if args.profile else None)
    frame = generate_rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "bench.csv"
        frame.to_csv(source, index=False)
        # Warm-up: load the encoder and heads outside the timed run.
        pipe.enrich_texts(["warm-up"])
        rss_before = peak_rss_mb()

        started = time.perf_counter()
        with open_writer(str(Path(tmp) / "out.parquet")) as writer:
            for chunk in pipe.enrich_stream(read_feedback([str(source)], ColumnMap())):
                writer.write(chunk)
        seconds = time.perf_counter() - started
        rows = writer.rows_written
        # Read before the bare-encoder pass below, which holds all vectors at once.
        rss_pipeline = peak_rss_mb()

    units = unit_inputs(pipe, frame)
    encoder = next(step.encoder for step in pipe.steps if step.name == "embed")
    started = time.perf_counter()
    encoder.encode_views(units)  # every view the pipeline computes (base + adapters)
    encoder_seconds = time.perf_counter() - started
    started = time.perf_counter()
    encoder.encode(units)
    base_seconds = time.perf_counter() - started

    print(f"rows: {rows}  units: {len(units)}  encoder: {encoder.views_fingerprint}")
    print(f"pipeline: {rows / seconds:.0f} rows/s ({seconds:.1f} s)")
    print(f"bare encoder on the same units, all views: {len(units) / encoder_seconds:.0f} texts/s "
          f"({encoder_seconds:.1f} s) -> pipeline overhead {100 * (seconds / encoder_seconds - 1):.0f}%; "
          f"base view alone: {len(units) / base_seconds:.0f} texts/s")
    print(f"peak RSS of the pipeline run: {rss_pipeline:.0f} MB (after warm-up: {rss_before:.0f} MB)")
    costs = component_costs(pipe, frame)
    print("CPU ms per 1,000 rows by component (process time, so other jobs on the machine count little): "
          + ", ".join(f"{name} {1000 * 1000 * s / len(frame):.0f}" for name, s in costs.items()))


def cli_ratio(args) -> None:
    import subprocess

    from voc_nlp.encoders.minilm import MiniLMEncoder

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "bench.csv"
        if args.input:
            frame = pd.read_csv(args.input, keep_default_na=False).head(args.rows)
        else:
            frame = generate_rows(args.rows)
        frame[["text"]].to_csv(source, index=False)
        command = [str(Path(sys.executable).parent / "voc-nlp"), "enrich", str(source),
                   "-o", str(Path(tmp) / "out.parquet"), "--quiet"]
        command += ["--config", args.config] if args.config else []
        command += ["--profile", args.profile] if args.profile else []
        started = time.perf_counter()
        subprocess.run(command, check=True)
        cli_seconds = time.perf_counter() - started
    texts = frame["text"].tolist()
    encoder = MiniLMEncoder(batch_size=64, threads=2)
    encoder.encode(["warm-up"])  # the model loads outside the timed pass
    minilm_seconds = float("inf")
    for _ in range(2):  # the faster of two passes: the ratio errs on the baseline's side
        started = time.perf_counter()
        encoder.encode(texts)
        minilm_seconds = min(minilm_seconds, time.perf_counter() - started)
    print(f"rows: {len(texts)}  profile: {args.profile or 'default'}")
    print(f"voc-nlp enrich end to end (fresh process, start-up included): {len(texts) / cli_seconds:.0f} rows/s "
          f"({cli_seconds:.1f} s)")
    print(f"bare all-MiniLM-L6-v2 pass (torch, batch 64, 2 threads, model loaded, faster of 2): "
          f"{len(texts) / minilm_seconds:.0f} texts/s ({minilm_seconds:.1f} s)")
    print(f"ratio (enrich speed / bare MiniLM speed): {minilm_seconds / cli_seconds:.2f}")


def component_costs(pipe: Pipeline, frame: pd.DataFrame) -> dict[str, float]:
    """CPU seconds each step spends on `frame`, reading docs as `to_doc` makes them (masking included)."""
    records = canonical_frame(frame).to_dict("records")
    costs = {"to_doc": 0.0}
    for start in range(0, len(records), pipe.chunk_size):
        began = time.process_time()
        docs = [to_doc(row, mask=pipe.mask_pii) for row in records[start:start + pipe.chunk_size]]
        costs["to_doc"] += time.process_time() - began
        for step in pipe.steps:
            began = time.process_time()
            step(docs)
            costs[step.name] = costs.get(step.name, 0.0) + time.process_time() - began
    return costs


def unit_inputs(pipe: Pipeline, frame: pd.DataFrame) -> list[str]:
    """The texts the encoder sees, from the pipeline's own `units` step."""
    docs = [to_doc(row) for row in canonical_frame(frame).to_dict("records")]
    next(step for step in pipe.steps if step.name == "units")(docs)
    return [text for doc in docs for text in doc.unit_inputs]


if __name__ == "__main__":
    main()
