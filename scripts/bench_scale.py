"""Scale: N rows streamed from a Parquet file through the pipeline, memory flat.

    python scripts/bench_scale.py                  # 1,000,000 rows (~65 min on 2 cores)
    python scripts/bench_scale.py --rows 200000 --every 20000

Writes a seeded Parquet file of N synthetic feedback rows (EN/FR, short and
long, some chats' worth of sentences; row groups of 10,000, written as they
are made), then enriches it the way `voc-nlp enrich` does: `read_feedback`
chunks (the Parquet read batch by batch), the pipeline, `to_arrow`, a Parquet
writer (chunks gathered into row groups of 20,000 rows). Every `--every` rows it prints rows done,
rows/s so far, the current RSS and the peak RSS. Memory is flat when the RSS
at 1M rows is within 10 % of the RSS at 100k rows and stays under 1 GB.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import voc_nlp  # noqa: E402
from voc_nlp.io import open_writer, read_feedback, to_arrow  # noqa: E402

OPENINGS = ["My order", "The parcel", "Your app", "The refund", "Customer service", "The delivery driver",
            "Ma commande", "Le colis", "Le remboursement", "Le service client", "L'application"]
MIDDLES = ["arrived {n} days late", "was damaged when it arrived", "never answered my {n} emails",
           "crashed again after the update", "charged me twice", "was fast and friendly",
           "est arrivé avec {n} jours de retard", "n'a jamais répondu à mes {n} messages",
           "a été débité deux fois", "était parfait, merci"]
ENDINGS = ["", " Very disappointed.", " Thanks for the quick help!", " I want my money back.",
           " Je suis très déçu.", " Merci beaucoup !", " This is the {n}th time."]
CHANNELS = ["email", "chat", "survey", "twitter", "app_review"]


def feedback_text(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.choice((1, 1, 1, 2, 3, 6))):  # mostly one sentence, a few long reviews
        n = rng.randint(2, 12)
        sentences.append(f"{rng.choice(OPENINGS)} {rng.choice(MIDDLES).format(n=n)}.{rng.choice(ENDINGS).format(n=n)}")
    return " ".join(sentences)


def write_input(path: Path, rows: int, seed: int = 7, group: int = 10_000) -> None:
    rng = random.Random(seed)
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("channel", pa.string()),
                        ("created_at", pa.string()), ("rating", pa.float64())])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, rows, group):
            n = min(group, rows - start)
            writer.write_table(pa.table({
                "id": [f"r{start + i}" for i in range(n)],
                "text": [feedback_text(rng) for _ in range(n)],
                "channel": [rng.choice(CHANNELS) for _ in range(n)],
                "created_at": [f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(n)],
                "rating": [float(rng.randint(1, 5)) for _ in range(n)],
            }, schema=schema))


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000, help="print a line every this many rows")
    parser.add_argument("--chunk-size", type=int, default=None, help="rows per chunk (default: the config's)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the input and output go (default: a temp folder)")
    args = parser.parse_args()

    folder = args.workdir or Path(tempfile.mkdtemp(prefix="voc-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    source, output = folder / "feedback.parquet", folder / "enriched.parquet"
    try:
        started = time.perf_counter()
        write_input(source, args.rows)
        print(f"input: {args.rows:,} rows, {source.stat().st_size / 1e6:.0f} MB Parquet "
              f"({time.perf_counter() - started:.0f} s to write)", flush=True)

        pipe = voc_nlp.load()
        chunk_size = args.chunk_size or pipe.chunk_size
        print(f"pipeline loaded; RSS {rss_mb():.0f} MB; chunks of {chunk_size} rows", flush=True)
        print(f"{'rows':>10} {'rows/s':>8} {'RSS MB':>8} {'peak MB':>8}", flush=True)
        started = time.perf_counter()
        done, next_report = 0, args.every
        with open_writer(str(output), metadata=pipe.provenance()) as writer:
            chunks = read_feedback([str(source)], chunk_size=chunk_size)
            for records in pipe.enrich_stream(chunks):
                writer.write_table(to_arrow(records))
                done += len(records)
                if done >= next_report or done == args.rows:
                    rate = done / (time.perf_counter() - started)
                    print(f"{done:>10,} {rate:>8.0f} {rss_mb():>8.0f} {peak_rss_mb():>8.0f}", flush=True)
                    next_report += args.every
        print(f"output: {writer.rows_written:,} rows, {output.stat().st_size / 1e6:.0f} MB; "
              f"peak RSS {peak_rss_mb():.0f} MB", flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
