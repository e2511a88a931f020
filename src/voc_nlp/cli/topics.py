"""Pain-point topics in `voc-nlp enrich`: the flags and the two-pass flow.

    voc-nlp enrich reviews.csv -o out.parquet --topics
    voc-nlp enrich reviews.csv -o out.parquet --topics-on all --save-topic-model topics/march
    voc-nlp enrich april.csv -o april.parquet --topic-model topics/march   # same topics, new month

Topics are corpus-level: the batch is enriched first (records held as Arrow
tables, spilled to disk past a memory budget; clustered units' embeddings
spilled to disk, a seeded sample kept in memory), the topic model is fitted on
the sample (or loaded from `--topic-model`), then every item is assigned as
the records go on to the real output. A topics table (`<output stem>.topics.json` and
`.topics.csv`) lists each topic with label, keywords, size, share, quotes,
main touchpoints and phases, counts per period and an emerging flag. See
`voc_nlp.topics.collect`.
"""

from __future__ import annotations

import argparse
import sys

from voc_nlp.topics.trends import FREQS


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("pain-point topics")
    g.add_argument("--topics", action="store_true",
                   help="find pain-point topics over the whole batch and fill topic_id/label/keywords")
    g.add_argument("--topics-on", choices=("pain_points", "all"), default=None,
                   help="units to cluster: pain-point units (default) or all units; implies --topics")
    g.add_argument("--topic-model", default=None, metavar="PATH",
                   help="assign items to the topics of a saved model instead of fitting; implies --topics")
    g.add_argument("--save-topic-model", default=None, metavar="PATH",
                   help="save the fitted topic model (folder: safetensors + JSON); implies --topics")
    g.add_argument("--topic-period", choices=FREQS, default="month",
                   help="period for topic counts and emerging flags (default: month; dates from --time-col)")
    g.add_argument("--topic-sample", type=int, default=100_000,
                   help="units sampled (seeded) to fit the topic model (default: 100000)")


def wanted(args: argparse.Namespace) -> bool:
    return bool(args.topics or args.topics_on or args.topic_model or args.save_topic_model)


def check_args(args: argparse.Namespace) -> str | None:
    """A message for topic flags that cannot work together (checked before loading models)."""
    if args.topic_model and args.save_topic_model:
        return ("--topic-model assigns to a saved model; --save-topic-model saves a new fit: "
                "give one of them")
    if args.topic_sample < 10:
        return f"--topic-sample must be at least 10, got {args.topic_sample}"
    return None


def start(args: argparse.Namespace, pipe):
    """A TopicJob wired into `pipe` (its collector runs last), or None without topic flags."""
    if not wanted(args):
        return None
    from voc_nlp.topics.collect import TopicJob
    from voc_nlp.topics.space import topic_params

    on = args.topics_on or "pain_points"
    names = [step.name for step in pipe.steps]
    if on == "pain_points" and "pain_points" not in names:
        raise ValueError("--topics-on pain_points needs the pain_points component in the pipeline "
                         "(or use --topics-on all)")
    problem = check_args(args)
    if problem:
        raise ValueError(problem)
    embed = next((s for s in pipe.steps if s.name == "embed"), None)
    params = topic_params(pipe.config, pipe.base_dir, embed.encoder.fingerprint if embed else "")
    job = TopicJob(on=on, model_path=args.topic_model, save_path=args.save_topic_model,
                   period=args.topic_period, sample_size=args.topic_sample,
                   model_params=params, encoder=embed.encoder.fingerprint if embed else "")
    pipe.steps.append(job.collector)
    return job


def finish(job, args: argparse.Namespace, writer) -> int:
    """Second pass into `writer`; writes the topics table; returns rows written."""
    from voc_nlp.topics.collect import write_topics_table

    summary = job.finish(writer)
    json_path, csv_path = write_topics_table(summary, args.output)
    if not args.quiet:
        share = summary.unassigned_unit_share
        print(
            f"voc-nlp enrich: {len(summary.topics)} topics ({summary.model}) over "
            f"{summary.n_clustered_units} {summary.topics_on.replace('_', '-')} units of "
            f"{summary.n_clustered_items} items; {summary.n_unassigned_units} units ({share:.1%}) fit no "
            f"topic -> {json_path}, {csv_path}",
            file=sys.stderr,
        )
    return writer.rows_written
