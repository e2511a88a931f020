"""The enrichment worker with a stand-in pipeline: batching, isolation of a failing item, cancellation."""

import threading

import pandas as pd
import pytest

from voc_nlp.service.worker import EnrichWorker


class FakePipeline:
    model_version = "fake"

    def __init__(self):
        self.calls = []

    def canonical_items(self, items, columns=None, source="<request>"):
        return pd.DataFrame({"text": [item["text"] for item in items], "error": [None] * len(items)},
                            dtype=object)

    def enrich_json(self, chunk):
        self.calls.append(len(chunk))
        if chunk["error"].isna().all() and "boom" in chunk["text"].tolist():
            raise ValueError("a step broke")
        return [{"text": t, "error": e} for t, e in zip(chunk["text"], chunk["error"])]


@pytest.fixture
def gated():
    release = threading.Event()
    fake = FakePipeline()

    def loader():
        release.wait(10)
        return fake

    worker = EnrichWorker(loader, batch_items=100)
    worker.start()
    yield worker, fake, release
    worker.stop()


def test_requests_waiting_together_are_one_pipeline_call(gated):
    worker, fake, release = gated
    futures = [worker.submit([{"text": f"r{r}-i{i}"} for i in range(3)]) for r in range(4)]
    release.set()
    results = [f.result(10) for f in futures]
    assert fake.calls == [12]
    assert [[rec["text"] for rec in res] for res in results] == [[f"r{r}-i{i}" for i in range(3)] for r in range(4)]


def test_batches_stop_at_batch_items(gated):
    worker, fake, release = gated
    worker.batch_items = 5
    futures = [worker.submit([{"text": "x"}] * 3) for _ in range(4)]
    release.set()
    for f in futures:
        f.result(10)
    assert fake.calls == [6, 6]


def test_an_item_that_breaks_a_step_fails_alone(gated):
    worker, fake, release = gated
    release.set()
    good = worker.submit([{"text": "fine"}])
    bad = worker.submit([{"text": "ok"}, {"text": "boom"}, {"text": "also ok"}])
    assert good.result(10) == [{"text": "fine", "error": None}]
    records = bad.result(10)
    assert [r["text"] for r in records] == ["ok", "boom", "also ok"]
    assert records[0]["error"] is None and records[2]["error"] is None
    assert "internal error while enriching this item (ValueError)" in records[1]["error"]


def test_a_cancelled_request_is_skipped_and_the_worker_lives_on(gated):
    worker, fake, release = gated
    gone = worker.submit([{"text": "client went away"}])
    assert gone.cancel()
    kept = worker.submit([{"text": "still here"}])
    release.set()
    assert kept.result(10) == [{"text": "still here", "error": None}]
    assert worker.submit([{"text": "after"}]).result(10)[0]["text"] == "after"
    assert fake.calls == [1, 1]
