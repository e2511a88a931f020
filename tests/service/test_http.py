"""The HTTP service over real HTTP on 127.0.0.1: a real uvicorn server in a thread
(sharing the session's pipeline), and `voc-nlp serve` as a subprocess."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_EXTRA = "the [service] extra is not installed: pip install '.[service]'"
httpx = pytest.importorskip("httpx", reason=_EXTRA)
uvicorn = pytest.importorskip("uvicorn", reason=_EXTRA)
pytest.importorskip("fastapi", reason=_EXTRA)

from voc_nlp.service.app import create_app  # noqa: E402

KEY = "test-key-1"
AUTH = {"Authorization": f"Bearer {KEY}"}
MAX_ITEMS = 10
MAX_BODY = 50_000
SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadServer:
    """uvicorn.Server in a thread, on a free loopback port."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def wait_ready(client, url, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("not ready in time")


@pytest.fixture(scope="module")
def server(pipeline):
    app = create_app(loader=lambda: pipeline, api_keys={KEY, "other-key"},
                     max_items=MAX_ITEMS, max_body_bytes=MAX_BODY)
    with ThreadServer(app) as srv, httpx.Client(timeout=60) as client:
        wait_ready(client, srv.url)
        srv.client = client
        yield srv


def post(server, body, headers=AUTH, raw=False):
    content = body if raw else json.dumps(body)
    return server.client.post(f"{server.url}/v1/enrich", content=content,
                              headers={**headers, "Content-Type": "application/json"})


# -- auth ---------------------------------------------------------------------------


def test_no_key_wrong_key_or_scheme_is_401_with_a_reason(server):
    body = {"items": [{"text": "hello"}]}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {KEY}"},
                    {"Authorization": "Bearer"}):
        response = post(server, body, headers=headers)
        assert response.status_code == 401, headers
        assert "Authorization: Bearer" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
    assert server.client.get(f"{server.url}/metrics").status_code == 401


def test_valid_keys_are_accepted_and_probes_and_docs_stay_open(server):
    assert post(server, {"items": [{"text": "hello"}]}).status_code == 200
    assert post(server, {"items": [{"text": "hello"}]},
                headers={"Authorization": "Bearer other-key"}).status_code == 200
    assert server.client.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert server.client.get(f"{server.url}/readyz").status_code == 200
    assert server.client.get(f"{server.url}/docs").status_code == 200
    spec = server.client.get(f"{server.url}/openapi.json").json()
    assert "/v1/enrich" in spec["paths"]


# -- enrichment ----------------------------------------------------------------------


def test_records_one_per_item_in_order_with_the_cli_fields(server):
    items = [
        {"id": "r1", "text": "Parcel arrived broken and support never answered.", "rating": 1,
         "channel": "app_review", "created_at": "2026-03-01T10:00:00Z"},
        {"id": 2, "text": "Livraison rapide, je suis ravie !", "lang": "fr"},
        {"text": "no id here, fine"},
        {"id": "chat", "turns": [{"speaker": "customer", "text": "where is my refund?"},
                                 {"speaker": "agent", "text": "it left today"}]},
    ]
    response = post(server, {"items": items})
    assert response.status_code == 200
    records = response.json()["records"]
    assert [r["id"] for r in records[:2]] == ["r1", "2"] and records[3]["id"] == "chat"
    assert records[2]["id"].startswith("vc-")
    assert records[0]["sentiment"] == "negative" and records[1]["sentiment"] == "positive"
    assert records[0]["created_at"].startswith("2026-03-01T10:00:00") and records[0]["rating"] == 1.0
    assert records[0]["channel"] == "app_review" and records[1]["lang"] == "fr"
    assert [u["speaker"] for u in records[3]["units"]] == ["customer", "agent"]
    assert all(r["error"] is None for r in records)


def test_same_records_as_the_python_api(server, pipeline):
    items = [{"id": "a", "text": "The app keeps crashing at checkout"}, {"id": "b", "text": "Merci pour votre aide"}]
    served = post(server, {"items": items}).json()["records"]
    local = list(pipeline.pipe(items))
    for mine, theirs in zip(served, local):
        assert mine["sentiment"] == theirs["sentiment"] and mine["emotions"] == theirs["emotions"]
        assert mine["phase"] == theirs["phase"] and mine["touchpoints"] == theirs["touchpoints"]


def test_bad_items_get_an_error_record_not_a_failed_batch(server):
    items = [
        {"id": "good", "text": "Refund took a month, this is a disgrace"},
        {"id": "no-text"},
        {"id": "blank", "text": "   "},
        "just a string",
        {"id": "typed", "text": 12345},
        {"id": "turns", "turns": "not json ["},
        {"id": "rating", "text": "ok", "rating": "five stars"},
        None,
        {"id": "good2", "text": "Great support, thank you"},
    ]
    response = post(server, {"items": items})
    assert response.status_code == 200
    records = response.json()["records"]
    assert len(records) == len(items)
    by_id = {r["id"]: r for r in records}
    assert by_id["good"]["error"] is None and by_id["good"]["sentiment"] == "negative"
    assert by_id["good2"]["error"] is None and by_id["good2"]["sentiment"] == "positive"
    assert "empty text" in by_id["no-text"]["error"] and "row 2" in by_id["no-text"]["error"]
    assert "empty text" in by_id["blank"]["error"]
    assert "expected an object" in records[3]["error"] and "row 4" in records[3]["error"]
    assert "text must be a string, found a number" in by_id["typed"]["error"]
    assert "invalid turns" in by_id["turns"]["error"]
    assert by_id["rating"]["error"] is None and by_id["rating"]["rating"] is None  # a warning, not an error
    assert any("rating" in w for w in by_id["rating"]["warnings"])
    assert "found null" in records[7]["error"]


def test_empty_items_is_an_empty_answer(server):
    response = post(server, {"items": []})
    assert response.status_code == 200 and response.json() == {"records": []}


# -- bad requests: 4xx with a reason, never 500 ----------------------------------------


@pytest.mark.parametrize("body, status, reason", [
    ('{"items": [{"text": "x"}', 400, "invalid JSON"),
    ("", 400, "invalid JSON"),
    (b"\xff\xfe\x00garbage", 400, "invalid JSON"),
    ("[1, 2]", 422, 'expected a JSON object {"items"'),
    ('{"texts": ["a"]}', 422, 'expected a JSON object {"items"'),
    ('{"items": "abc"}', 422, '"items" must be a list'),
    ('{"items": {"text": "a"}}', 422, '"items" must be a list'),
    ("[" * 20000 + "]" * 20000, 400, "nested too deeply"),
])
def test_malformed_bodies_get_4xx_with_a_reason(server, body, status, reason):
    response = post(server, body, raw=True)
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]


def test_too_many_items_is_413_naming_the_limit(server):
    response = post(server, {"items": [{"text": f"item {i}"} for i in range(MAX_ITEMS + 1)]})
    assert response.status_code == 413
    assert f"{MAX_ITEMS + 1} items, over the limit of {MAX_ITEMS}" in response.json()["detail"]
    assert post(server, {"items": [{"text": f"item {i}"} for i in range(MAX_ITEMS)]}).status_code == 200


def test_too_large_body_is_413_declared_or_streamed(server):
    big = {"items": [{"text": "x" * (MAX_BODY + 10)}]}
    response = post(server, big)
    assert response.status_code == 413 and "max_body_bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: the limit holds while reading
        payload = json.dumps(big).encode()
        for i in range(0, len(payload), 8192):
            yield payload[i:i + 8192]

    response = server.client.post(f"{server.url}/v1/enrich", content=chunks(), headers=AUTH)
    assert response.status_code == 413 and "max_body_bytes" in response.json()["detail"]


def test_unknown_paths_and_methods_are_4xx(server):
    assert server.client.get(f"{server.url}/v1/enrich", headers=AUTH).status_code == 405
    assert server.client.get(f"{server.url}/nope", headers=AUTH).status_code == 404


# -- concurrency, metrics -----------------------------------------------------------------


def test_concurrent_clients_all_get_their_own_records_in_order(server):
    texts = ["Parcel late again", "Love this shop", "App crashes at login", "Remboursement reçu, merci",
             "Nobody answers the phone"]

    def client_run(worker: int) -> list[bool]:
        results = []
        with httpx.Client(timeout=120) as client:
            for request in range(5):
                items = [{"id": f"w{worker}-r{request}-i{i}", "text": texts[(worker + request + i) % 5]}
                         for i in range(3)]
                response = client.post(f"{server.url}/v1/enrich", json={"items": items}, headers=AUTH)
                ok = response.status_code == 200
                records = response.json()["records"] if ok else []
                results.append(ok and [r["id"] for r in records] == [it["id"] for it in items]
                               and all(r["error"] is None for r in records)
                               and [r["text"] for r in records] == [it["text"] for it in items])
        return results

    with ThreadPoolExecutor(8) as pool:
        outcomes = [ok for run in pool.map(client_run, range(8)) for ok in run]
    assert outcomes == [True] * 40


def _metric(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def test_metrics_count_requests_items_and_latency(server):
    def scrape():
        response = server.client.get(f"{server.url}/metrics", headers=AUTH)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        return response.text

    before = scrape()
    for _ in range(3):
        post(server, {"items": [{"text": "one"}, {"text": "two"}]})
    post(server, "not json", raw=True)
    after = scrape()
    ok = 'voc_http_requests_total{method="POST",path="/v1/enrich",status="200"}'
    bad = 'voc_http_requests_total{method="POST",path="/v1/enrich",status="400"}'
    assert _metric(after, ok) - _metric(before, ok) == 3
    assert _metric(after, bad) - _metric(before, bad) == 1
    assert _metric(after, "voc_items_enriched_total") - _metric(before, "voc_items_enriched_total") == 6
    count = 'voc_http_request_duration_seconds_count{path="/v1/enrich"}'
    assert _metric(after, count) - _metric(before, count) == 4
    assert 'voc_http_request_duration_seconds_bucket{path="/v1/enrich",le="+Inf"}' in after
    assert "voc_ready 1" in after


# -- readiness ----------------------------------------------------------------------------


def test_readyz_is_503_until_the_pipeline_is_loaded(pipeline):
    release = threading.Event()

    def slow_loader():
        release.wait(30)
        return pipeline

    with ThreadServer(create_app(loader=slow_loader, api_keys=set())) as srv, httpx.Client(timeout=60) as client:
        response = client.get(f"{srv.url}/readyz")
        assert response.status_code == 503 and response.json()["status"] == "loading"
        assert client.get(f"{srv.url}/healthz").status_code == 200  # alive while loading
        early = client.post(f"{srv.url}/v1/enrich", json={"items": [{"text": "hi"}]})
        assert early.status_code == 503 and "loading" in early.json()["detail"]
        assert early.headers["retry-after"]
        release.set()
        wait_ready(client, srv.url, timeout=30)
        assert client.get(f"{srv.url}/readyz").json()["status"] == "ready"
        response = client.post(f"{srv.url}/v1/enrich", json={"items": [{"text": "Parcel late again, this is unacceptable!"}]})
        assert response.status_code == 200 and response.json()["records"][0]["sentiment"] == "negative"


def test_a_failed_load_keeps_readyz_503_with_the_reason():
    def broken():
        raise FileNotFoundError("models/sentiment missing")

    with ThreadServer(create_app(loader=broken, api_keys=set())) as srv, httpx.Client(timeout=30) as client:
        deadline = time.monotonic() + 10
        while client.get(f"{srv.url}/readyz").json()["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        response = client.get(f"{srv.url}/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "failed", "error": "FileNotFoundError: models/sentiment missing"}
        enrich = client.post(f"{srv.url}/v1/enrich", json={"items": [{"text": "hi"}]})
        assert enrich.status_code == 503 and "failed to load" in enrich.json()["detail"]


# -- the command ----------------------------------------------------------------------------


def test_voc_nlp_serve_subprocess_end_to_end(tmp_path):
    """`voc-nlp serve` as users start it: keys from a file, JSON logs, readiness, enrichment."""
    port = free_port()
    keys = tmp_path / "keys.txt"
    keys.write_text("# service keys\nfile-key\n\n")
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", "VOC_API_KEYS": "env-key"}
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voc_nlp.cli", "serve", "--port", str(port), "--api-keys-file", str(keys),
             "--max-items", "3", "--threads", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=60) as client:
            wait_ready(client, url)
            body = {"items": [{"id": "x", "text": "Parcel late again"}]}
            assert client.post(f"{url}/v1/enrich", json=body).status_code == 401
            for key in ("file-key", "env-key"):
                response = client.post(f"{url}/v1/enrich", json=body, headers={"Authorization": f"Bearer {key}"})
                assert response.status_code == 200 and response.json()["records"][0]["id"] == "x"
            too_many = client.post(f"{url}/v1/enrich", json={"items": [{"text": "a"}] * 4},
                                   headers={"Authorization": "Bearer env-key"})
            assert too_many.status_code == 413
    finally:
        proc.terminate()
        proc.wait(30)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    requests = [line for line in lines if line.get("event") == "request" and line["path"] == "/v1/enrich"]
    assert [r["status"] for r in requests] == [401, 200, 200, 413]
    assert requests[1]["items"] == 1 and requests[1]["method"] == "POST" and requests[1]["ms"] > 0
    assert any(line.get("event") == "loaded" for line in lines)


def test_serve_without_fastapi_names_the_extra(monkeypatch, capsys):
    import importlib.util

    from voc_nlp.cli.__main__ import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "[service] extra" in err and "make install" in err and "fastapi" in err


def test_serve_with_a_missing_config_exits_2(tmp_path, capsys):
    from voc_nlp.cli.__main__ import main

    assert main(["serve", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_seeded_fuzz_never_gets_a_500(server):
    """Random JSON shapes, types and lone surrogates: every answer is 200 or a 4xx with a reason."""
    import random

    rng = random.Random(22)
    atoms = [None, True, 0, -1, 2**70, 1.5, float("1e308"), "", " ", "\ud800", "x\udfffy", "Parcel late",
             "é" * 50, [], {}, ["a"], {"speaker": "customer"}, {"speaker": 3, "text": None}]

    def value(depth=0):
        if depth > 2 or rng.random() < 0.6:
            return rng.choice(atoms)
        if rng.random() < 0.5:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(["text", "id", "turns", "\ud834", "x"]): value(depth + 1) for _ in range(rng.randint(0, 3))}

    fields = ["id", "text", "channel", "created_at", "turns", "lang", "rating", "extra", "\udc80"]
    bodies = []
    for _ in range(25):
        items = []
        for _ in range(rng.randint(0, 6)):
            if rng.random() < 0.15:
                items.append(value())
            else:
                items.append({rng.choice(fields): value() for _ in range(rng.randint(0, 5))})
        body = {"items": items} if rng.random() < 0.85 else {rng.choice(fields): items}
        bodies.append(json.dumps(body))  # ensure_ascii: lone surrogates travel as \ud800 escapes
    for body in bodies:
        response = post(server, body, raw=True)
        assert response.status_code in (200, 400, 413, 422), (response.status_code, body, response.text)
        if response.status_code == 200:
            assert len(response.json()["records"]) == len(json.loads(body)["items"])
        else:
            assert response.json()["detail"]


def test_lone_surrogates_are_an_item_error(server):
    body = '{"items": [{"id": "s1", "text": "bad \\ud800 half"}, {"id": "x\\udfff", "text": 1}, {"id": "ok", "text": "fine"}]}'
    response = post(server, body, raw=True)
    assert response.status_code == 200
    records = response.json()["records"]
    assert "text holds invalid Unicode" in records[0]["error"]
    assert records[1]["id"] == "x?" and "text must be a string" in records[1]["error"]
    assert records[2]["error"] is None
