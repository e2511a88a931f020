"""The FastAPI app behind `voc-nlp serve`.

    POST /v1/enrich   {"items": [{"id", "text", "channel", "created_at", "turns", "lang", "rating"}, ...]}
                      -> {"records": [...]}: one record per item, in order (as the JSONL output)
    GET  /healthz     the process answers (always open)
    GET  /readyz      200 once the pipeline is loaded, 503 before (always open)
    GET  /metrics     Prometheus text format
    GET  /docs        OpenAPI docs (/openapi.json)

Settings, each from the argument, else the environment (what `voc-nlp serve`
sets for its workers), else the config's `service:` section, else the default:
config file or folder (VOC_NLP_CONFIG), API keys (VOC_API_KEYS, comma-separated,
and/or VOC_API_KEYS_FILE, one per line), max_items (VOC_NLP_MAX_ITEMS, 100),
max_body_bytes (VOC_NLP_MAX_BODY_BYTES, 4 MiB), batch_items (VOC_NLP_BATCH_ITEMS, 256),
encoder threads (VOC_NLP_THREADS; default the config's encoder.threads).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Callable

try:
    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse
    from fastapi.security import HTTPBearer
except ImportError as exc:  # pragma: no cover - depends on the install
    from voc_nlp.service import INSTALL_HINT

    raise ImportError(f"the HTTP service needs FastAPI and uvicorn: {INSTALL_HINT}") from exc

from voc_nlp import __version__
from voc_nlp.io.columns import ColumnMap
from voc_nlp.service.logs import setup_service_logging
from voc_nlp.service.metrics import Metrics
from voc_nlp.service.worker import EnrichWorker

log = logging.getLogger("voc_nlp.service")

DEFAULTS = {"max_items": 100, "max_body_bytes": 4 * 1024 * 1024, "batch_items": 256}
ITEM_FIELDS = ("id", "text", "channel", "created_at", "turns", "lang", "rating", "nps", "csat")
# Items are checked into exactly these keys, so the columns are named, never guessed.
SERVICE_COLUMNS = ColumnMap(text="text", id="id", time="created_at", channel="channel",
                            rating="rating", nps="nps", csat="csat", lang="lang", turns="turns")
SOURCE = "<request>"
# Open without a key: probes and the API description.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
# Paths counted under their own name in /metrics; any other is "other".
KNOWN_PATHS = OPEN_PATHS | {"/v1/enrich", "/metrics"}


def load_api_keys(env: dict | None = None) -> frozenset[str]:
    """Keys from VOC_API_KEYS (comma-separated) and the file VOC_API_KEYS_FILE
    (one per line; blank lines and # comments ignored)."""
    env = os.environ if env is None else env
    keys = {k.strip() for k in (env.get("VOC_API_KEYS") or "").split(",") if k.strip()}
    if env.get("VOC_API_KEYS_FILE"):
        keys |= read_keys_file(env["VOC_API_KEYS_FILE"])
    return frozenset(keys)


def read_keys_file(path: str | Path) -> set[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.strip().startswith("#")}


def create_app(
    config: str | Path | None = None,
    *,
    api_keys: set[str] | frozenset[str] | None = None,
    max_items: int | None = None,
    max_body_bytes: int | None = None,
    batch_items: int | None = None,
    threads: int | None = None,
    profile: str | None = None,
    loader: Callable[[], Any] | None = None,
) -> FastAPI:
    """The service app. The pipeline loads in the background at startup (one
    per process); `loader` replaces `voc_nlp.load(config)`, e.g. in tests."""
    config = config if config is not None else (os.environ.get("VOC_NLP_CONFIG") or None)
    section = _service_section(config) if loader is None else {}
    settings = {
        name: _setting(value, f"VOC_NLP_{name.upper()}", section, name)
        for name, value in (("max_items", max_items), ("max_body_bytes", max_body_bytes),
                            ("batch_items", batch_items))
    }
    keys = frozenset(api_keys) if api_keys is not None else load_api_keys()
    threads = threads or (int(os.environ["VOC_NLP_THREADS"]) if os.environ.get("VOC_NLP_THREADS") else None)
    profile = profile or os.environ.get("VOC_NLP_PROFILE") or None
    if loader is None:
        def loader():
            from voc_nlp.pipeline import Pipeline

            overrides = {"encoder": {"threads": threads}} if threads else {}
            if profile:
                overrides["profile"] = profile
            return Pipeline.load(config, overrides=overrides)

    metrics = Metrics()
    worker = EnrichWorker(loader, batch_items=settings["batch_items"], on_batch=metrics.batch_done)
    setup_service_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker.start()  # loads the pipeline in its thread; /readyz says when it is done
        log.info("service starting", extra={"fields": {
            "event": "start", "auth": bool(keys), **settings, "pid": os.getpid()}})
        try:
            yield
        finally:
            worker.stop()

    app = FastAPI(
        title="voc-nlp",
        version=__version__,
        description="Voice-of-the-customer enrichment: sentiment, CX emotions, journey phase, "
        "touchpoints and pain points for each feedback item. Send `Authorization: Bearer <key>` "
        "when the service has API keys.",
        lifespan=lifespan,
    )
    app.state.worker, app.state.metrics, app.state.settings = worker, metrics, settings
    app.add_middleware(_Gate, keys=keys, metrics=metrics)
    bearer = HTTPBearer(auto_error=False)  # documents the scheme in /docs; _Gate enforces it

    @app.get("/healthz", tags=["probes"], summary="The process is up")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["probes"], summary="200 once the pipeline is loaded, 503 before",
             responses={503: {"description": "Still loading, or the load failed (see `error`)"}})
    async def readyz():
        if worker.ready:
            return {"status": "ready", "model_version": worker.pipeline.model_version
                    if hasattr(worker.pipeline, "model_version") else None,
                    "load_seconds": round(worker.load_seconds or 0, 2)}
        body = {"status": worker.state}
        if worker.error:
            body["error"] = worker.error
        return JSONResponse(body, status_code=503)

    @app.get("/metrics", tags=["probes"], summary="Prometheus metrics (text format)",
             response_class=PlainTextResponse, dependencies=[Depends(bearer)])
    async def metrics_endpoint():
        metrics.ready = worker.ready
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post(
        "/v1/enrich",
        tags=["enrich"],
        summary="Enrich feedback items",
        description=(
            f"At most {settings['max_items']} items and {settings['max_body_bytes']} bytes per request. "
            "Answers one record per item, in input order; an item that cannot be enriched "
            "(no text, a field of the wrong type) gets a record carrying `error`, the others are "
            "enriched as usual. Fields other than those listed are ignored."
        ),
        dependencies=[Depends(bearer)],
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _REQUEST_SCHEMA}}}},
        responses={
            200: {"description": "One record per item", "content": {"application/json": {"schema": _RESPONSE_SCHEMA}}},
            400: {"description": "The body is not JSON"},
            401: {"description": "Missing or invalid API key"},
            413: {"description": "Too many items, or the body is too large"},
            422: {"description": "JSON, but not {\"items\": [...]}"},
            503: {"description": "The pipeline is still loading"},
        },
    )
    async def enrich(request: Request):
        if not worker.ready:
            reason = ("the pipeline failed to load: " + worker.error) if worker.error else \
                "the pipeline is still loading; retry when /readyz answers 200"
            return _problem(503, reason, headers={"Retry-After": "5"})
        limit = settings["max_body_bytes"]
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return _problem(400, f"invalid Content-Length header: {declared!r}")
            if int(declared) > limit:
                return _problem(413, f"request body of {int(declared)} bytes is over the limit of {limit} "
                                     "bytes (max_body_bytes); send fewer or shorter items per request")
        body = bytearray()
        async for part in request.stream():
            body += part
            if len(body) > limit:
                return _problem(413, f"request body over the limit of {limit} bytes (max_body_bytes); "
                                     "send fewer or shorter items per request")
        try:
            payload = json.loads(bytes(body))
        except json.JSONDecodeError as exc:
            return _problem(400, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        except UnicodeDecodeError:
            return _problem(400, "invalid JSON: the body is not UTF-8 text")
        except RecursionError:
            return _problem(400, "invalid JSON: nested too deeply")
        if not isinstance(payload, dict) or "items" not in payload:
            return _problem(422, 'expected a JSON object {"items": [...]}, found '
                                 + (f"an object with keys {_printable(str(sorted(payload)[:5]))}" if isinstance(payload, dict)
                                    else _json_type(payload)))
        items = payload["items"]
        if not isinstance(items, list):
            return _problem(422, f'"items" must be a list, found {_json_type(items)}')
        if len(items) > settings["max_items"]:
            return _problem(413, f"{len(items)} items, over the limit of {settings['max_items']} per "
                                 "request (max_items); split them over several requests")
        request.state.items = len(items)
        checked = [_check_item(n, item) for n, item in enumerate(items, start=1)]
        try:
            records = await asyncio.wrap_future(worker.submit(checked, SERVICE_COLUMNS, SOURCE)) if checked else []
        except Exception as exc:  # noqa: BLE001 - a bug in the pipeline, logged by the worker
            return _problem(500, f"internal error while enriching ({type(exc).__name__}); see the service log")
        errors = sum(record["error"] is not None for record in records)
        request.state.item_errors = errors
        metrics.enriched(len(records), errors)
        return JSONResponse({"records": records})

    return app


# -- pieces -----------------------------------------------------------------------


class _Gate:
    """ASGI middleware: API keys, then one JSON log line and the metrics per request."""

    def __init__(self, app, keys: frozenset[str], metrics: Metrics):
        self.app = app
        self.keys = [key.encode("utf-8") for key in keys]
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        path = scope.get("path", "")
        try:
            if self.keys and path not in OPEN_PATHS and not self._authorised(scope):
                response = _problem(401, "missing or invalid API key: send the header "
                                         "Authorization: Bearer <key>",
                                    headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send_status)
            else:
                await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe(scope.get("method", ""), path if path in KNOWN_PATHS else "other",
                                 status, seconds)
            state = scope.get("state") or {}
            log.info("request", extra={"fields": {
                "event": "request", "method": scope.get("method"), "path": path, "status": status,
                "ms": round(seconds * 1000, 1), "items": state.get("items"),
                "item_errors": state.get("item_errors")}})

    def _authorised(self, scope) -> bool:
        for name, value in scope.get("headers") or []:
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                if scheme.lower() != b"bearer":
                    return False
                token = token.strip()
                # Compare with every key, so timing does not tell which matched.
                return any([hmac.compare_digest(token, key) for key in self.keys])
        return False


def _check_item(number: int, item: Any):
    """An item as the dict of ITEM_FIELDS the pipeline reads, or an
    `InvalidItem` saying what is wrong with it."""
    from voc_nlp.pipeline import InvalidItem

    where = f"{SOURCE} row {number}"
    if not isinstance(item, dict):
        return InvalidItem(f"{where}: expected an object with a text, found {_json_type(item)}")
    problems = []
    allowed = {
        "id": (str, int, float), "text": (str,), "channel": (str,), "lang": (str,),
        "created_at": (str, int, float), "rating": (int, float, str), "turns": (list, str),
        "nps": (int, float, str), "csat": (int, float, str),
    }
    for name, types in allowed.items():
        value = item.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            problems.append(f"{name} must be {_describe(types)}, found {_json_type(value)}")
    for name in ITEM_FIELDS:
        if name in item and _has_lone_surrogate(item[name]):
            # JSON may escape half a UTF-16 pair ("\ud800"): not text, and not encodable in the answer.
            problems.append(f"{name} holds invalid Unicode (a lone surrogate escape such as \\ud800)")
    if problems:
        raw_id = item.get("id")
        good_id = isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id).strip()
        return InvalidItem(f"{where}: {'; '.join(problems)}", id=_printable(str(raw_id).strip()) if good_id else None)
    return {name: item.get(name) for name in ITEM_FIELDS}


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return False


def _printable(text: str) -> str:
    """`text` safe to send back as UTF-8 (lone surrogates become "?")."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _describe(types: tuple) -> str:
    names = {str: "a string", int: "a number", float: "a number", list: "a list"}
    out = []
    for t in types:
        if names[t] not in out:
            out.append(names[t])
    return " or ".join(out)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _problem(status: int, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _setting(value, env_name: str, section: dict, name: str) -> int:
    for candidate, origin in ((value, "argument"), (os.environ.get(env_name), env_name),
                              (section.get(name), f"config service.{name}")):
        if candidate is None or candidate == "":
            continue
        try:
            number = int(candidate)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number, got {candidate!r} ({origin})") from None
        if number < 1:
            raise ValueError(f"{name} must be at least 1, got {number} ({origin})")
        return number
    return DEFAULTS[name]


def _service_section(config) -> dict:
    """The config's `service:` section, read without building the pipeline."""
    import yaml

    from voc_nlp.pipeline import ConfigError, config_path

    path = config_path(config)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the config ({exc})") from None
    section = data.get("service") if isinstance(data, dict) else None
    return section if isinstance(section, dict) else {}


_ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": ["string", "integer"], "description": "kept as the record's id; generated when missing"},
        "text": {"type": "string", "description": "the feedback text (or give turns)"},
        "channel": {"type": "string"},
        "created_at": {"type": "string", "description": "ISO 8601 or another common date format"},
        "turns": {"type": "array", "description": 'a chat: [{"speaker": "customer", "text": "..."}, ...]',
                  "items": {"type": "object", "properties": {"speaker": {"type": "string"}, "text": {"type": "string"}}}},
        "lang": {"type": "string", "description": "en or fr; detected when missing"},
        "rating": {"type": "number"},
        "nps": {"type": "number", "description": "likelihood to recommend, 0-10"},
        "csat": {"type": "number", "description": "satisfaction, 1-5"},
    },
}
_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "items": _ITEM_SCHEMA}},
    "example": {"items": [{"id": "r1", "text": "Parcel arrived late and the box was crushed.",
                           "channel": "app_review", "created_at": "2026-03-01T10:00:00Z", "rating": 2}]},
}
_RESPONSE_SCHEMA = {
    "type": "object",
    "properties": {"records": {"type": "array", "items": {
        "type": "object", "description": "an enriched record (docs/schema.md); `error` set when the item "
                                         "could not be enriched"}}},
}
