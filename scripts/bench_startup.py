"""Start-up time: median wall time of N fresh processes for each command.

    python scripts/bench_startup.py              # 7 runs each
    python scripts/bench_startup.py --runs 11 --topics

Times `voc-nlp --help`, `voc-nlp enrich one_row.csv -o out.jsonl` and
`python -c "import voc_nlp"` (and, with --topics, `voc-nlp enrich` with
`--topics` on 300 short complaints written by this script), each in a new
process, as a user would run them. Uses the `voc-nlp` next to this Python
(`make install` puts it in .venv/bin), or `python -m voc_nlp.cli` without one.
The first run of each command is a warm-up and not counted (the OS file
cache, and the bytecode of voc-nlp's modules that Python writes at a first
import: PYTHONDONTWRITEBYTECODE is dropped for these runs, or every run
would compile ~50 modules from source, 0.2-0.5 s, which no installed copy
does); `python -m voc_nlp.warm` should have run once (make install does).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Varied complaints (EN/FR), so the --topics batch has pain points to cluster.
COMPLAINTS = [
    "My parcel arrived {n} days late and nobody answered my emails.",
    "The card payment was declined twice at checkout, order {n}.",
    "Still waiting for my refund after {n} weeks, this is unacceptable.",
    "The app crashes every time I try to log in since update {n}.",
    "Le colis est arrivé avec {n} jours de retard, service client injoignable.",
    "Remboursement toujours pas reçu après {n} semaines, c'est inadmissible.",
]


def voc_nlp_command() -> list[str]:
    script = Path(sys.executable).parent / "voc-nlp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "voc_nlp.cli"]


def median_seconds(command: list[str], runs: int, cwd: Path) -> tuple[float, float, float, float]:
    """(median, min, max) wall seconds and median CPU seconds (user + system) over
    `runs` runs, after one warm-up run. On a shared machine the CPU time moves
    less than the wall time."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules read from bytecode (see above)
    times, cpu = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
        if i:
            times.append(seconds)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), min(times), max(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--topics", action="store_true", help="also time enrich --topics on 300 complaints")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="voc-startup-"))
    try:
        (folder / "one_row.csv").write_text("id,text\n1,The parcel arrived late and support never answered.\n")
        rows = [f'{i},"{COMPLAINTS[i % len(COMPLAINTS)].format(n=i % 9 + 2)}"' for i in range(300)]
        (folder / "complaints300.csv").write_text("id,text\n" + "\n".join(rows) + "\n")
        cli = voc_nlp_command()
        commands = {
            "voc-nlp --help": cli + ["--help"],
            "voc-nlp enrich one_row.csv -o out.jsonl": cli + ["enrich", "one_row.csv", "-o", "out.jsonl", "--quiet"],
            'python -c "import voc_nlp"': [sys.executable, "-c", "import voc_nlp"],
        }
        if args.topics:
            commands["voc-nlp enrich complaints300.csv -o out.parquet --topics"] = cli + [
                "enrich", "complaints300.csv", "-o", "out.parquet", "--topics", "--quiet"]
        print(f"median wall seconds of {args.runs} runs (min-max), median CPU seconds, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f} at start")
        for name, command in commands.items():
            median, low, high, cpu = median_seconds(command, args.runs, folder)
            print(f"{median:6.2f} s  ({low:.2f}-{high:.2f})  CPU {cpu:.2f} s  {name}", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
