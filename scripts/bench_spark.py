"""Bench `voc-nlp spark-enrich` on generated feedback and check it against `voc-nlp enrich`.

    SPARK_LOCAL_IP=127.0.0.1 .venv/bin/python scripts/bench_spark.py            # 20,000 rows, local[2]
    .venv/bin/python scripts/bench_spark.py --rows 5000 --master 'local[4]' --sample 500

Writes ROWS templated English and French feedback rows to a CSV, runs
`voc-nlp spark-enrich` on it (timed end to end: JVM start, model loading in
each Python worker, enrichment, Parquet writing), then `voc-nlp enrich` on the
first SAMPLE rows, and says whether those records match: every field equal,
float scores within 1e-5 (the encoder batches differ, so float32 noise does).
`feedback_rows` is also what tests/test_spark.py enriches.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

EN = [
    "My parcel arrived {days} days late and the box was {damage}.",
    "The {thing} keeps crashing when I try to {action}.",
    "Great {staff}, they sorted out my {issue} in {minutes} minutes. Thank you!",
    "I was charged twice for my {product} and nobody answers the phone.",
    "How do I change the delivery address on my order?",
    "Love the new {thing}, so much easier to {action} now.",
    "Waited {minutes} minutes on hold just to be told to call back tomorrow. Unacceptable.",
    "The refund for my {product} still hasn't arrived after {days} days.",
    "Checkout was quick and the {product} fits perfectly.",
    "Can you help me reset my password? The link in the email does not work.",
]
FR = [
    "Mon colis est arrivé avec {days} jours de retard et le carton était {damage_fr}.",
    "L'{thing_fr} plante dès que j'essaie de {action_fr}.",
    "Conseiller très aimable, mon problème de {issue_fr} a été réglé en {minutes} minutes. Merci !",
    "J'ai été débité deux fois pour mon {product_fr} et personne ne répond.",
    "Comment modifier l'adresse de livraison de ma commande ?",
    "Très contente de mon {product_fr}, livraison rapide, je recommande.",
    "{minutes} minutes d'attente au téléphone pour rien. Inadmissible.",
    "Toujours pas remboursé pour mon {product_fr} après {days} jours.",
]
SLOTS = {
    "days": ["2", "3", "5", "10"], "minutes": ["5", "20", "45", "90"],
    "damage": ["crushed", "torn open", "soaking wet"],
    "damage_fr": ["écrasé", "ouvert", "trempé"],
    "thing": ["app", "website", "mobile app"], "thing_fr": ["application", "appli"],
    "action": ["pay", "log in", "track my order", "book a table"],
    "action_fr": ["payer", "me connecter", "suivre ma commande"],
    "staff": ["support team", "driver", "shop assistant"],
    "issue": ["billing", "delivery", "login"], "issue_fr": ["facturation", "livraison", "connexion"],
    "product": ["jacket", "phone case", "subscription", "blender"],
    "product_fr": ["manteau", "abonnement", "mixeur", "téléphone"],
}
CHANNELS = ["app_review", "email_survey", "twitter", "chat", None]


def feedback_rows(n: int, seed: int = 0) -> list[dict]:
    """`n` feedback rows (id, text, created_at, channel, rating), about 60% English."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        template = rng.choice(EN if rng.random() < 0.6 else FR)
        text = template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})
        rows.append({
            "id": f"r{i:06d}",
            "text": text,
            "created_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:15:00Z",
            "channel": rng.choice(CHANNELS),
            "rating": rng.choice(["1", "2", "3", "4", "5", ""]),
        })
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def compare(expected: list[dict], got: list[dict], tolerance: float = 1e-5) -> list[str]:
    """Differences between two lists of records (as pyarrow `to_pylist` gives), by id."""
    by_id = {r["id"]: r for r in got}
    problems = []
    for record in expected:
        other = by_id.get(record["id"])
        if other is None:
            problems.append(f"{record['id']}: missing")
            continue
        for name, value in record.items():
            if not _same(value, other.get(name), tolerance):
                problems.append(f"{record['id']}.{name}: {value!r} != {other.get(name)!r}")
    return problems


def _same(a, b, tolerance: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tolerance
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tolerance) for k in a)
    return a == b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--sample", type=int, default=1000, help="rows checked against `voc-nlp enrich`")
    args = parser.parse_args()

    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from voc_nlp.cli.__main__ import main as cli

    with tempfile.TemporaryDirectory(prefix="voc-bench-spark-") as tmp:
        tmp = Path(tmp)
        rows = feedback_rows(args.rows)
        data = write_csv(rows, tmp / "feedback.csv")
        started = time.perf_counter()
        code = cli(["spark-enrich", str(data), "-o", str(tmp / "spark_out"), "--master", args.master])
        seconds = time.perf_counter() - started
        if code:
            return code
        spark_records = ds.dataset(tmp / "spark_out", format="parquet").to_table().to_pylist()

        sample = write_csv(rows[: args.sample], tmp / "sample.csv")
        started = time.perf_counter()
        code = cli(["enrich", str(sample), "-o", str(tmp / "cli.parquet"), "--quiet"])
        cli_seconds = time.perf_counter() - started
        if code:
            return code
        cli_records = pq.read_table(tmp / "cli.parquet").to_pylist()
        # The sample file has another name: compare what does not name the file.
        for record in cli_records + spark_records:
            record.pop("source_file", None)
        problems = compare(cli_records, spark_records)

    print(f"spark-enrich {args.master}: {len(spark_records)} rows of {args.rows} in {seconds:.1f} s "
          f"= {args.rows / seconds:.0f} rows/s (end to end: JVM start, model loading per worker, "
          f"enrichment, Parquet)")
    print(f"voc-nlp enrich (one process, config threads) on the first {len(cli_records)} rows: "
          f"{cli_seconds:.1f} s = {len(cli_records) / cli_seconds:.0f} rows/s (model loading included)")
    print(f"records vs voc-nlp enrich on the first {len(cli_records)} rows: "
          + ("match (floats within 1e-5)" if not problems else f"{len(problems)} differences"))
    for line in problems[:10]:
        print("  ", line)
    return 0 if not problems and len(spark_records) == args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
