"""The enrichment worker: one thread per server process that loads the pipeline
once, then enriches the queued requests, several at a time.

The event loop never runs the models: a request hands its items to `submit`
and awaits the future. Requests that arrive while a batch runs are enriched
together in the next pipeline call (up to `batch_items` items), which is
several times faster on a CPU than one call per small request. Each request's
items are checked and numbered on their own (ids, `source_row`, messages), so
batching never changes a record.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger("voc_nlp.service")


@dataclass
class _Job:
    items: list
    columns: Any
    source: str
    future: Future = field(default_factory=Future)


class EnrichWorker:
    def __init__(self, loader: Callable[[], Any], batch_items: int = 256, on_batch: Callable | None = None):
        self._loader = loader
        self.batch_items = max(1, int(batch_items))
        self._on_batch = on_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="voc-enrich", daemon=True)
        self.pipeline = None
        self.state = "loading"  # loading -> ready | failed
        self.error: str | None = None
        self.load_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def submit(self, items: list, columns=None, source: str = "<request>") -> Future:
        """Records for `items` (a list, in order), as a future."""
        job = _Job(items, columns, source)
        self._queue.put(job)
        return job.future

    # -- the thread ------------------------------------------------------------

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self.pipeline = self._loader()
        except BaseException as exc:  # noqa: BLE001 - reported by /readyz and the log
            self.error = f"{type(exc).__name__}: {exc}"
            self.state = "failed"
            log.error("pipeline failed to load", extra={"fields": {"event": "load_failed", "error": self.error}})
        else:
            self.load_seconds = time.perf_counter() - started
            self.state = "ready"
            log.info("pipeline loaded", extra={"fields": {
                "event": "loaded", "seconds": round(self.load_seconds, 2),
                "model_version": getattr(self.pipeline, "model_version", None)}})
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs, count, stop = [job], len(job.items), False
            while count < self.batch_items:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
                count += len(more.items)
            # A request whose client went away was cancelled: skip it. The
            # others can no longer be cancelled, so their results always land.
            jobs = [j for j in jobs if j.future.set_running_or_notify_cancel()]
            try:
                self._process(jobs)
            except BaseException as exc:  # noqa: BLE001 - the thread must live on
                log.exception("enrichment failed")
                for j in jobs:
                    if not j.future.done():
                        j.future.set_exception(exc)
            if stop:
                return

    def _process(self, jobs: list[_Job]) -> None:
        if not self.ready:
            for job in jobs:
                job.future.set_exception(RuntimeError(f"pipeline not loaded ({self.error or self.state})"))
            return
        import pandas as pd

        chunks = []
        for job in jobs:
            try:
                chunks.append(self.pipeline.canonical_items(job.items, job.columns, job.source))
            except Exception as exc:  # noqa: BLE001 - a bug, but only this request's
                log.exception("could not read a request's items")
                job.future.set_exception(exc)
                chunks.append(None)
        live = [(job, chunk) for job, chunk in zip(jobs, chunks) if chunk is not None]
        if not live:
            return
        try:
            combined = pd.concat([chunk for _, chunk in live], ignore_index=True)
            records = self.pipeline.enrich_json(combined)
        except Exception:  # noqa: BLE001
            # One item broke a step: enrich each request, then each item, on its
            # own, so that only the culprit gets an error record.
            log.exception("batch failed; retrying item by item")
            for job, chunk in live:
                job.future.set_result(self._one_by_one(chunk))
        else:
            start = 0
            for job, chunk in live:
                job.future.set_result(records[start : start + len(chunk)])
                start += len(chunk)
        if self._on_batch is not None:
            self._on_batch()

    def _one_by_one(self, chunk) -> list[dict]:
        out = []
        for i in range(len(chunk)):
            row = chunk.iloc[i : i + 1].reset_index(drop=True)
            try:
                out.extend(self.pipeline.enrich_json(row))
            except Exception as exc:  # noqa: BLE001
                log.exception("item failed")
                failed = row.copy()
                failed.at[0, "error"] = f"internal error while enriching this item ({type(exc).__name__})"
                out.extend(self.pipeline.enrich_json(failed))
        return out
