"""`voc-nlp` command line: one module per command."""

from __future__ import annotations

import argparse
import sys

from voc_nlp.cli import enrich, evaluate, report, serve, spark_enrich, train

COMMANDS = {"enrich": enrich, "report": report, "evaluate": evaluate, "train": train, "serve": serve,
            "spark-enrich": spark_enrich}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="voc-nlp",
        description="Voice-of-the-customer analyzer: enrich customer feedback with sentiment, "
        "CX emotions, journey phase, touchpoints and pain-point topics.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_parser(sub)
    args = parser.parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
