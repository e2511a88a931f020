"""`voc-nlp spark-enrich INPUT [INPUT ...] -o OUTPUT_DIR`: the batch job on Spark.

The input is read as `voc-nlp enrich` reads it (same readers, column
detection, ids, errors and warnings), streamed on the driver into a staging
Parquet folder beside the output (OUTPUT_DIR.voc-staging-<pid>, removed at
the end); Spark then spreads the rows over its workers (`voc_nlp.spark`),
each enriching with its own pipeline, and writes a Parquet folder (one file
per partition, in input order) holding the same records as
`voc-nlp enrich -o out.parquet`, with the same provenance in each file's
key-value metadata (added by the driver after Spark wrote them). The staging
folder must be readable by the executors: local mode, or an output on a file
system they share.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

from voc_nlp.cli import add_profile_argument
from voc_nlp.io.columns import FIELD_WORDS, FIELDS, ColumnMap
from voc_nlp.io.errors import InputError

NAME = "voc-nlp spark-enrich"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "spark-enrich",
        help="enrich a feedback export on Spark into a Parquet folder (needs the [spark] extra)",
        description="Read feedback files as `enrich` does, enrich them on Spark, write a "
                    "Parquet folder of one record per input row.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files or globs (CSV/TSV, JSONL, JSON, Parquet, XLSX)")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT_DIR",
                   help="output Parquet folder: new, empty, or an earlier output (replaced)")
    p.add_argument("--master", default=None,
                   help="Spark master (default: the one spark-submit sets, else local[2])")
    p.add_argument("--partitions", type=int, default=None,
                   help="Spark partitions (default: the larger of the default parallelism and "
                        "rows / chunk size)")
    add_profile_argument(p)
    p.add_argument("--config", default=None, help="pipeline config YAML or pipeline folder "
                   "(default: the default pipeline); must be at the same path on the executors")
    p.add_argument("--taxonomy", default=None, help="taxonomy YAML replacing the config's")
    for field in FIELDS:
        p.add_argument(f"--{field}-col", default=None, help=f"input column holding the {FIELD_WORDS.get(field, field)}")
    p.add_argument("--encoding", default=None, help="input text encoding (as for enrich)")
    p.add_argument("--sheet", default=None, help=".xlsx input: the sheet to read")
    p.add_argument("--chunk-size", type=int, default=None,
                   help="rows enriched at a time by a worker (default from config: 1000)")
    p.add_argument("--max-text-chars", type=int, default=None,
                   help="a row with a longer text is not enriched: written with `error`, "
                        "its text cut to the limit (default from config)")
    p.add_argument("--threads", type=int, default=1,
                   help="encoder threads per Spark task (default: 1; Spark runs a task per core)")
    p.add_argument("--batch-size", type=int, default=None, help="encoder batch size")
    p.add_argument("--no-mask", action="store_true", help="keep personal data in the output text")
    p.add_argument("--quiet", action="store_true", help="no summary line")


def run(args: argparse.Namespace) -> int:
    try:
        from voc_nlp import spark as voc_spark

        voc_spark.require_pyspark()
    except ImportError as exc:
        return _fail(str(exc))

    from voc_nlp.io.readers import check_inputs
    from voc_nlp.pipeline import ConfigError, config_path, read_config

    columns = ColumnMap(
        text=args.text_col, id=args.id_col, time=args.time_col, channel=args.channel_col,
        rating=args.rating_col, nps=args.nps_col, csat=args.csat_col, lang=args.lang_col, turns=args.turns_col,
    )
    for name in ("partitions", "chunk_size", "max_text_chars", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return _fail(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    try:
        check_inputs(args.inputs, columns, encoding=args.encoding, sheet=args.sheet)
    except InputError as exc:
        return _fail(str(exc))
    # The driver reads the config (and checks it parses); the workers build the pipeline.
    try:
        config = read_config(config_path(args.config))
    except (ConfigError, OSError) as exc:
        return _fail(str(exc))
    overrides: dict = {}
    if args.batch_size:
        overrides["encoder"] = {"batch_size": args.batch_size}
    if args.taxonomy:
        if not Path(args.taxonomy).is_file():
            return _fail(f"taxonomy file not found: {args.taxonomy}")
        overrides["taxonomy"] = str(Path(args.taxonomy).resolve())
    if args.no_mask:
        overrides["privacy"] = {"mask": False}
    if args.profile:
        overrides["profile"] = args.profile
    input_settings = config.get("input") or {}
    chunk_size = args.chunk_size or int(input_settings.get("chunk_size", 1000))
    max_text_chars = args.max_text_chars or int(input_settings.get("max_text_chars", 20000))

    output = args.output.rstrip("/") or args.output
    if problem := _output_problem(output):
        return _fail(problem)
    staging = _staging_folder(output)
    started = time.perf_counter()
    try:
        try:
            rows_in = stage_input(args.inputs, columns, staging, chunk_size, args.encoding,
                                  max_text_chars, args.sheet)
        except InputError as exc:
            return _fail(str(exc))
        from pyspark.sql import SparkSession

        # A session already running in this process (a notebook, the tests) is
        # used as it is, and left running.
        own_session = SparkSession.getActiveSession() is None
        master = args.master or (None if voc_spark.under_spark_submit() else "local[2]")
        _quiet_pandas_warning()
        conf = {"spark.ui.showConsoleProgress": "false"} if args.quiet else None
        session = voc_spark.local_session(master, app_name="voc-nlp spark-enrich", conf=conf)
        if own_session:
            session.sparkContext.setLogLevel("ERROR")  # Spark's warnings are not the user's
        try:
            partitions = args.partitions or max(session.sparkContext.defaultParallelism,
                                                math.ceil(rows_in / chunk_size))
            staged = session.read.parquet(staging)
            staged = staged.repartitionByRange(partitions, "_seq").sortWithinPartitions("_seq")
            records = voc_spark._enrich_canonical(
                staged.drop("_seq"), config=args.config, overrides=overrides,
                threads=args.threads, batch_size=chunk_size,
            )
            try:
                records.write.mode("overwrite").option("compression", "zstd").parquet(output)
            except Exception as exc:  # a worker's error arrives as a Java/Python exception
                return _fail(f"the Spark job failed: {_last_line(exc)}")
            # The provenance `enrich` writes (versions, config hash, taxonomy),
            # from a worker's pipeline, in every part file's metadata.
            try:
                meta = voc_spark.provenance(session, config=args.config, overrides=overrides,
                                            threads=args.threads)
            except Exception as exc:
                return _fail(f"the Spark job failed: {_last_line(exc)}")
            if "://" not in output or output.startswith("file:"):
                voc_spark.add_parquet_metadata(output.removeprefix("file://"), meta)
            written = session.read.parquet(output)
            rows_out = written.count()
            errors = written.filter("error IS NOT NULL").count()
        finally:
            if own_session:
                session.stop()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    seconds = time.perf_counter() - started
    if not args.quiet or errors:
        print(f"{NAME}: {rows_in} rows in, {rows_out} rows out, {errors} with errors, "
              f"{seconds:.1f} s, {rows_in / max(seconds, 1e-9):.0f} rows/s "
              f"({partitions} partitions, {session.sparkContext.master}) -> {output}", file=sys.stderr)
    return 0


def stage_input(inputs: list[str], columns: ColumnMap, folder: str, chunk_size: int,
                encoding: str | None, max_text_chars: int, sheet: str | None) -> int:
    """Read the inputs as `voc-nlp enrich` does into Parquet files of canonical
    rows (turns as JSON text, `_seq` the row's position); returns the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from voc_nlp.io.readers import read_feedback

    schema = pa.schema([
        ("id", pa.string()), ("text", pa.string()), ("turns", pa.string()),
        ("lang", pa.string()), ("channel", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")), ("rating", pa.float64()),
        ("nps", pa.float64()), ("csat", pa.float64()),
        ("source_file", pa.string()), ("source_row", pa.int64()),
        ("warnings", pa.list_(pa.string())), ("error", pa.string()), ("_seq", pa.int64()),
    ])
    os.makedirs(folder, exist_ok=True)
    rows = 0
    chunks = read_feedback(inputs, columns, chunk_size=chunk_size, encoding=encoding,
                           max_text_chars=max_text_chars, sheet=sheet)
    for index, chunk in enumerate(chunks):
        chunk = chunk.copy()
        chunk["turns"] = [None if t is None else json.dumps(t, ensure_ascii=False)
                          for t in chunk["turns"]]
        chunk["_seq"] = range(rows, rows + len(chunk))
        table = pa.Table.from_pandas(chunk[schema.names], schema=schema, preserve_index=False)
        pq.write_table(table, os.path.join(folder, f"part-{index:06d}.parquet"))
        rows += len(chunk)
    return rows


# pyspark 4.3 warns, in the driver and in every worker, that it does not
# fully support pandas 3 (the lock's); what the job uses works (tests/test_spark.py).
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


def _quiet_pandas_warning() -> None:
    import warnings

    warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)
    # Python workers started from now on inherit it (local mode).
    rule = f"ignore:{_PANDAS_WARNING}:FutureWarning"
    current = os.environ.get("PYTHONWARNINGS")
    if rule not in (current or ""):
        os.environ["PYTHONWARNINGS"] = f"{current},{rule}" if current else rule


# What a Spark Parquet output folder holds: part files, their checksums, the markers
# of a finished job and what a killed one leaves.
SPARK_OUTPUT_FILES = ("part-", ".part-", "_SUCCESS", "._SUCCESS", "_temporary")


def _output_problem(output: str) -> str | None:
    """Why `output` must not be written, or None. Spark's overwrite empties the folder first,
    so one holding anything but an earlier output (`-o .`, `-o exports/`) is refused."""
    if "://" in output and not output.startswith("file:"):
        return None  # HDFS, S3: the cluster's rules
    path = Path(output.removeprefix("file://").removeprefix("file:"))
    if path.exists() and (not path.is_dir()
                          or any(not p.name.startswith(SPARK_OUTPUT_FILES) for p in path.iterdir())):
        return (f"{output}: exists and holds other files than an earlier Parquet output (it would be "
                "replaced as a whole); give a new or empty folder")
    return None


def _staging_folder(output: str) -> str:
    folder, name = os.path.split(os.path.abspath(output))
    # Not hidden: Spark ignores paths starting with "." or "_".
    return os.path.join(folder, f"{name}.voc-staging-{os.getpid()}")


def _last_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error:" in line or "Exception:" in line]
    return (errors or lines or [type(exc).__name__])[-1][:500]


def _fail(message: str) -> int:
    print(f"{NAME}: error: {message}", file=sys.stderr)
    return 2
