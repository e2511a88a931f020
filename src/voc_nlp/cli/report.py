"""`voc-nlp report ENRICHED -o report.html`: the analyst report."""

from __future__ import annotations

import argparse
import sys
import time


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="build a self-contained HTML journey report from enriched output",
        description="Read enriched records (Parquet file or glob, JSONL, DuckDB) and write one offline HTML "
        "report: overview, journey map (sentiment, churn risk, effort), emotion curve, pain points, trends, rating impact, chats, cost of contacts, churn reasons, non-purchase reasons, NPS/CSAT.",
    )
    p.add_argument("enriched", metavar="ENRICHED", help="enriched output: .parquet (or glob), .jsonl, .duckdb")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--lang", choices=("en", "fr"), default="en", help="report language (default: en)")
    p.add_argument("--tables", metavar="DIR", default=None,
                   help="also write every aggregate table as CSV and Parquet into DIR")
    p.add_argument("--table", default=None, help="DuckDB table name (default: feedback, or the only table)")
    p.add_argument("--taxonomy", default=None,
                   help="taxonomy YAML for labels (default: the one the enriched output records in its "
                        "metadata, else the packaged default)")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--top", type=int, default=10, help="pain points shown (default: 10)")
    p.add_argument("--grain", choices=("auto", "week", "month"), default="auto",
                   help="trend period (default: auto, week when the data span at most 120 days)")
    p.add_argument("--config", default=None,
                   help="pipeline config YAML (or folder) whose `contact_costs` prices the contacts "
                        "(default: the packaged configs/default.yaml)")
    p.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no closing summary")


def run(args: argparse.Namespace) -> int:
    from voc_nlp.report import Options, ReportInputError, build_report

    started = time.perf_counter()
    options = Options(top_topics=args.top, grain=args.grain, threads=args.threads)
    try:
        if args.config:
            from voc_nlp.pipeline import config_path, read_config

            config = read_config(config_path(args.config))
            options.contact_costs = config.get("contact_costs") or {}
        html, data = build_report(args.enriched, args.output, lang=args.lang, tables_dir=args.tables,
                                  table=args.table, taxonomy=args.taxonomy, title=args.title, options=options)
    except (ValueError, FileNotFoundError) as exc:  # ReportInputError, TaxonomyError
        print(f"voc-nlp report: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        extra = f", tables in {args.tables}" if args.tables else ""
        print(f"voc-nlp report: {data.meta['items']} items, {len(html.encode()) / 1024:.0f} KiB, "
              f"{time.perf_counter() - started:.1f} s -> {args.output}{extra}", file=sys.stderr)
    return 0
