"""`voc-nlp enrich INPUT [INPUT ...] -o OUTPUT`: the batch job."""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

from voc_nlp.cli import add_profile_argument, topics
from voc_nlp.io.columns import FIELD_WORDS, FIELDS, ColumnMap
from voc_nlp.io.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "enrich",
        help="enrich a feedback export (CSV, JSONL, Parquet) into one record per item",
        description="Read feedback files, write one enriched record per input row.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files or globs (CSV/TSV, JSONL, JSON, Parquet, XLSX)")
    p.add_argument("-o", "--output", required=True,
                   help="output file: .parquet, .jsonl, .csv or .duckdb")
    p.add_argument("--table", default="feedback", help="DuckDB table name (default: feedback)")
    p.add_argument("--config", default=None,
                   help="pipeline config YAML or pipeline folder (default: the packaged configs/default.yaml)")
    add_profile_argument(p)
    p.add_argument("--taxonomy", default=None,
                   help="taxonomy YAML replacing the config's (phases, touchpoints, emotions); "
                        "start it with `extends: default` to add to the default one")
    for field in FIELDS:
        p.add_argument(f"--{field}-col", default=None, help=f"input column holding the {FIELD_WORDS.get(field, field)}")
    p.add_argument("--encoding", default=None,
                   help="input text encoding (default: UTF-8, BOM or not; rows that are not "
                        "UTF-8 are read as cp1252)")
    p.add_argument("--sheet", default=None, help=".xlsx input: the sheet to read (default: the first)")
    p.add_argument("--chunk-size", type=int, default=None, help="rows per chunk (default from config: 1000)")
    p.add_argument("--max-text-chars", type=int, default=None,
                   help="a row with a longer text is not enriched: written with `error`, "
                        "its text cut to the limit (default from config: 20000)")
    p.add_argument("--threads", type=int, default=None, help="encoder threads")
    p.add_argument("--batch-size", type=int, default=None, help="encoder batch size")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-mask", action="store_true",
                   help="keep emails, phone, card and IBAN numbers in the output text "
                        "(default: masked as <EMAIL>, <PHONE>, … by privacy.mask)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from the chunks it saved in OUTPUT.parts/ "
                        "(same inputs, options and config); not with topic flags")
    topics.add_arguments(p)


def run(args: argparse.Namespace) -> int:
    # Imported here so `voc-nlp --help` stays fast.
    from voc_nlp.io import checkpoints
    from voc_nlp.io.readers import check_inputs, read_feedback
    from voc_nlp.io.writers import open_writer, to_arrow, writer_for
    from voc_nlp.pipeline import ConfigError, Pipeline, config_path
    from voc_nlp.taxonomy import TaxonomyError

    if problem := topics.check_args(args):
        return _fail(problem)
    if args.resume and topics.wanted(args):
        # Topics are fitted on the embeddings the first pass collects; chunks
        # taken from checkpoints would be missing from the fit.
        return _fail("--resume does not work with topic flags: run the enrichment with "
                     "--resume first, then fit topics on its output, or start over")
    columns = ColumnMap(
        text=args.text_col, id=args.id_col, time=args.time_col, channel=args.channel_col,
        rating=args.rating_col, nps=args.nps_col, csat=args.csat_col, lang=args.lang_col, turns=args.turns_col,
    )
    try:
        # Before the models load: a wrong path, an empty export or an output type
        # that cannot be written fails in a second, not after the enrichment.
        files = check_inputs(args.inputs, columns, encoding=args.encoding, sheet=args.sheet)
        writer_for(args.output)
    except InputError as exc:
        return _fail(str(exc))
    encoder_overrides = {k: v for k, v in (("threads", args.threads), ("batch_size", args.batch_size)) if v}
    try:
        overrides = {"encoder": encoder_overrides}
        if args.taxonomy:
            overrides["taxonomy"] = str(Path(args.taxonomy).resolve())
        if args.no_mask:
            overrides["privacy"] = {"mask": False}
        if args.profile:
            overrides["profile"] = args.profile
        pipe = Pipeline.from_config(config_path(args.config) if args.config else None, overrides=overrides)
    except (ConfigError, TaxonomyError, FileNotFoundError, KeyError) as exc:
        return _fail(str(exc))
    try:
        topic_job = topics.start(args, pipe)  # None without topic flags
    except (ValueError, FileNotFoundError) as exc:
        return _fail(str(exc))
    chunk_size = args.chunk_size or pipe.chunk_size
    max_text_chars = args.max_text_chars or pipe.max_text_chars

    # Each chunk's records are saved in OUTPUT.parts/ as the run goes, so a
    # killed run can be resumed (not with topics: see above).
    saved = None
    chunks_done = rows_done = 0
    if topic_job is None:
        options = {"columns": vars(columns), "encoding": args.encoding, "sheet": args.sheet,
                   "chunk_size": chunk_size, "max_text_chars": max_text_chars}
        key = checkpoints.run_key(checkpoints.input_fingerprint(files), options,
                                  checkpoints.pipeline_fingerprint(pipe))
        saved = checkpoints.Checkpoints(args.output, key)
        chunks_done, rows_done, note = saved.start(resume=args.resume)
        if note:
            print(f"voc-nlp enrich: {note}", file=sys.stderr)
        if chunks_done:
            print(f"voc-nlp enrich: resuming: {rows_done} rows in {chunks_done} chunks already "
                  f"done ({saved.folder})", file=sys.stderr)

    started = time.perf_counter()
    rows_in = errors = rows_resumed = 0
    progress = None if args.quiet else _progress_bar(files, columns, args.encoding, args.sheet)
    try:
        chunks = read_feedback(
            args.inputs, columns, chunk_size=chunk_size, encoding=args.encoding,
            max_text_chars=max_text_chars, sheet=args.sheet,
        )
        # With topics, records wait for the topic fit in the job's buffer (see cli/topics.py).
        provenance = pipe.provenance()  # what made the records, stored with them
        first_output = topic_job.records if topic_job else open_writer(
            args.output, table=args.table, metadata=provenance)
        with first_output as writer:
            for index, chunk in enumerate(chunks):
                table = saved.load(index) if saved is not None and index < chunks_done else None
                if table is not None and table.num_rows == len(chunk):
                    rows_resumed += len(chunk)
                else:
                    table = to_arrow(next(pipe.enrich_stream([chunk])))
                    if saved is not None:
                        saved.save(index, table)
                writer.write_table(table)
                rows_in += len(chunk)
                errors += table.num_rows - table.column("error").null_count
                if progress is not None:
                    progress.update(len(chunk))
                    if rows_resumed:
                        progress.set_postfix_str(f"{rows_resumed} from checkpoints", refresh=False)
            rows_out = writer.rows_written
    except InputError as exc:
        if topic_job is not None:
            topic_job.cleanup()
        return _fail(str(exc))
    finally:
        if progress is not None:
            # The total was an estimate (line counts); end the bar at the truth.
            progress.total = progress.n
            progress.close()
    enrich_seconds = time.perf_counter() - started
    if saved is not None:
        saved.remove()  # the output is complete: nothing left to resume
    if topic_job is not None:
        try:
            with open_writer(args.output, table=args.table, metadata=provenance) as writer:
                rows_out = topics.finish(topic_job, args, writer)
        except InputError as exc:
            return _fail(str(exc))
        finally:
            topic_job.cleanup()

    seconds = time.perf_counter() - started
    if not args.quiet or errors:
        # Rows/s is the enrichment pass's; topic fitting and the second pass are
        # timed apart, or a small batch with --topics would read as "3 rows/s".
        enriched = rows_in - rows_resumed
        timing = f"{enrich_seconds:.1f} s, {enriched / max(enrich_seconds, 1e-9):.0f} rows/s"
        if topic_job is not None:
            timing += f", then topics {seconds - enrich_seconds:.1f} s"
        resumed = f" ({rows_resumed} from checkpoints)" if rows_resumed else ""
        print(
            f"voc-nlp enrich: {rows_in} rows in{resumed}, {rows_out} rows out, {errors} with errors, "
            f"{timing} -> {args.output}",
            file=sys.stderr,
        )
    return 0


def _fail(message: str) -> int:
    print(f"voc-nlp enrich: error: {message}", file=sys.stderr)
    return 2


def _progress_bar(files: list[str], columns: ColumnMap, encoding: str | None, sheet: str | None):
    from tqdm import tqdm

    return tqdm(total=_estimate_rows(files, columns, encoding, sheet), unit="rows", file=sys.stderr,
                dynamic_ncols=True, desc="enrich")


def _estimate_rows(files: list[str], columns: ColumnMap | None = None, encoding: str | None = None,
                   sheet: str | None = None) -> int | None:
    """Total for the bar and its ETA: Parquet metadata, JSONL lines, CSV records (a quoted
    field may hold newlines, so CSV is counted by a csv reader, not by lines); JSON arrays
    and .xlsx sheets by reading their rows once (`readers.count_rows`). None when a file
    cannot be counted: the bar then shows rows and rows/s without ETA."""
    import csv
    import io

    from voc_nlp.io.readers import count_rows

    csv.field_size_limit(1 << 30)
    total = 0
    for name in files:
        path = Path(name)
        if not path.is_file():
            return None
        suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
        if not suffixes:
            return None
        if suffixes[-1] in (".xlsx", ".json"):
            try:
                total += count_rows(name, columns, encoding, sheet)
            except (InputError, ValueError, OSError):
                return None
            continue
        if suffixes[-1] == ".parquet":
            import pyarrow.parquet as pq

            total += pq.ParquetFile(path).metadata.num_rows
            continue
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rb") as fh:
            if suffixes[-1] in (".jsonl", ".ndjson"):
                total += sum(1 for line in fh if line.strip())
            else:
                text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
                records = sum(1 for row in csv.reader(text) if any(field.strip() for field in row))
                total += max(records - 1, 0)  # the header
    return total or None
