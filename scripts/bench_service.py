"""Load test of the HTTP service on this machine (loopback only).

    python scripts/bench_service.py                          # starts `voc-nlp serve` on a free port
    python scripts/bench_service.py --workers 2              # two server processes
    python scripts/bench_service.py --url http://127.0.0.1:8080 --key KEY   # a server already running

50 concurrent clients each send 20 requests of 20 items (the bundled sample
texts) to POST /v1/enrich; prints requests/s, items/s, latency p50/p95/p99
and the error count. The clients run in this process (asyncio + httpx) and
share the CPU with the server: figures are for the whole machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=20, help="requests per client")
    p.add_argument("--items", type=int, default=20, help="items per request")
    p.add_argument("--workers", type=int, default=1, help="server worker processes (when started here)")
    p.add_argument("--threads", type=int, default=None, help="encoder threads per server worker (serve --threads)")
    p.add_argument("--url", default=None, help="a running server (loopback only); default: start one")
    p.add_argument("--key", default=None, help="API key for --url")
    p.add_argument("--timeout", type=float, default=300.0, help="per-request timeout, s")
    args = p.parse_args()

    texts = _sample_texts()
    server = None
    if args.url:
        host = urlparse(args.url).hostname
        if host not in LOOPBACK:
            print(f"bench_service: only loopback servers, not {host}", file=sys.stderr)
            return 2
        url, key = args.url.rstrip("/"), args.key
    else:
        key = "bench-" + os.urandom(8).hex()
        server, url = _start_server(args.workers, key, args.threads)
    try:
        _wait_ready(url, workers=args.workers if server else 1)
        result = asyncio.run(_run(url, key, texts, args))
        metrics = httpx.get(f"{url}/metrics", headers=_auth(key), timeout=30).text
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
    _report(result, args, metrics)
    return 0 if result["errors"] == 0 else 1


def _sample_texts() -> list[str]:
    with open(ROOT / "samples" / "feedback.csv", encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh) if row["text"].strip()]


def _start_server(workers: int, key: str, threads: int | None):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "VOC_API_KEYS": key, "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    log = tempfile.NamedTemporaryFile("w", prefix="bench_service_", suffix=".log", delete=False)
    print(f"server log: {log.name}", file=sys.stderr)
    proc = subprocess.Popen(
        [sys.executable, "-m", "voc_nlp.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), *(["--threads", str(threads)] if threads else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(url: str, workers: int, timeout: float = 300.0) -> None:
    """Until /readyz answers 200 (with several workers: until 5 × workers answers in a row do)."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 5 * workers:
        if time.monotonic() > deadline:
            raise SystemExit("bench_service: server not ready in time")
        try:
            ok = httpx.get(f"{url}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            ok = False
        streak = streak + 1 if ok else 0
        time.sleep(0.2 if not ok else 0.05)


def _auth(key: str | None) -> dict:
    return {"Authorization": f"Bearer {key}"} if key else {}


async def _run(url: str, key: str | None, texts: list[str], args) -> dict:
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    latencies: list[float] = []
    errors = item_errors = items_done = 0
    error_kinds: dict[str, int] = {}

    async with httpx.AsyncClient(timeout=args.timeout, limits=limits, headers=_auth(key)) as client:
        # Warm-up (not counted): first calls pay one-off costs.
        for _ in range(3):
            await client.post(f"{url}/v1/enrich", json={"items": [{"text": t} for t in texts[: args.items]]})

        async def one_client(c: int) -> None:
            nonlocal errors, item_errors, items_done
            for r in range(args.requests):
                start = (c * args.requests + r) * args.items
                items = [{"id": f"c{c}-r{r}-{i}", "text": texts[(start + i) % len(texts)]}
                         for i in range(args.items)]
                t0 = time.perf_counter()
                try:
                    response = await client.post(f"{url}/v1/enrich", json={"items": items})
                except httpx.HTTPError as exc:
                    errors += 1
                    error_kinds[type(exc).__name__] = error_kinds.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    errors += 1
                    error_kinds[str(response.status_code)] = error_kinds.get(str(response.status_code), 0) + 1
                    continue
                records = response.json()["records"]
                if [rec["id"] for rec in records] != [it["id"] for it in items]:
                    errors += 1
                    error_kinds["wrong records"] = error_kinds.get("wrong records", 0) + 1
                items_done += len(records)
                item_errors += sum(rec["error"] is not None for rec in records)

        started = time.perf_counter()
        await asyncio.gather(*(one_client(c) for c in range(args.clients)))
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "latencies": latencies, "errors": errors, "error_kinds": error_kinds,
            "items": items_done, "item_errors": item_errors}


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _report(result: dict, args, metrics: str) -> None:
    total = args.clients * args.requests
    lat = result["latencies"]
    batches = [float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("voc_enrich_batches_total")]
    print(f"{args.clients} clients x {args.requests} requests x {args.items} items, "
          f"{args.workers} server worker(s), {os.cpu_count()} CPUs")
    print(f"  time        {result['seconds']:.1f} s")
    print(f"  requests/s  {total / result['seconds']:.1f}")
    print(f"  items/s     {result['items'] / result['seconds']:.1f}")
    print(f"  latency     p50 {_percentile(lat, 50):.2f} s, p95 {_percentile(lat, 95):.2f} s, "
          f"p99 {_percentile(lat, 99):.2f} s, max {max(lat) if lat else float('nan'):.2f} s, "
          f"mean {statistics.fmean(lat) if lat else float('nan'):.2f} s")
    print(f"  errors      {result['errors']} of {total} requests {result['error_kinds'] or ''}; "
          f"{result['item_errors']} item records carrying an error")
    if batches:
        print(f"  pipeline calls (one worker's /metrics) {int(batches[0])}")


if __name__ == "__main__":
    sys.exit(main())
