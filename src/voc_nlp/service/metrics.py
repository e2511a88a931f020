"""Prometheus text-format metrics, kept in process (no client library).

With `--workers N` each worker process counts its own requests: a scrape
sees the worker that answered it.
"""

from __future__ import annotations

import threading
from collections import Counter

# Request latency buckets, seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, int]] = Counter()  # (method, path, status)
        self.latency_counts: dict[str, list[int]] = {}  # path -> count per bucket (+Inf last)
        self.latency_sum: Counter[str] = Counter()
        self.items = 0
        self.item_errors = 0
        self.batches = 0
        self.ready = False

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, path, status)] += 1
            counts = self.latency_counts.setdefault(path, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            self.latency_sum[path] += seconds

    def enriched(self, items: int, errors: int) -> None:
        with self._lock:
            self.items += items
            self.item_errors += errors

    def batch_done(self) -> None:
        with self._lock:
            self.batches += 1

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP voc_http_requests_total HTTP requests by method, path and status.",
                "# TYPE voc_http_requests_total counter",
            ]
            for (method, path, status), n in sorted(self.requests.items()):
                lines.append(f'voc_http_requests_total{{method="{method}",path="{path}",status="{status}"}} {n}')
            lines += [
                "# HELP voc_http_request_duration_seconds HTTP request latency by path.",
                "# TYPE voc_http_request_duration_seconds histogram",
            ]
            for path, counts in sorted(self.latency_counts.items()):
                total = 0
                for bound, n in zip((*BUCKETS, "+Inf"), counts):
                    total += n
                    le = bound if bound == "+Inf" else repr(float(bound))
                    lines.append(f'voc_http_request_duration_seconds_bucket{{path="{path}",le="{le}"}} {total}')
                lines.append(f'voc_http_request_duration_seconds_sum{{path="{path}"}} {self.latency_sum[path]:.6f}')
                lines.append(f'voc_http_request_duration_seconds_count{{path="{path}"}} {total}')
            lines += [
                "# HELP voc_items_enriched_total Items enriched (records returned), errors included.",
                "# TYPE voc_items_enriched_total counter",
                f"voc_items_enriched_total {self.items}",
                "# HELP voc_item_errors_total Records returned carrying an error.",
                "# TYPE voc_item_errors_total counter",
                f"voc_item_errors_total {self.item_errors}",
                "# HELP voc_enrich_batches_total Pipeline calls (concurrent requests are batched together).",
                "# TYPE voc_enrich_batches_total counter",
                f"voc_enrich_batches_total {self.batches}",
                "# HELP voc_ready 1 once the pipeline is loaded.",
                "# TYPE voc_ready gauge",
                f"voc_ready {int(self.ready)}",
            ]
        return "\n".join(lines) + "\n"
