"""`voc-nlp serve`: the HTTP service (FastAPI + uvicorn, extra `[service]`)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from voc_nlp.cli import add_profile_argument
from voc_nlp.service import INSTALL_HINT


def add_parser(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="run the HTTP service (POST /v1/enrich, /healthz, /readyz, /metrics, /docs)",
        description="Serve the pipeline over HTTP. Each worker process loads the pipeline once at start; "
        "/readyz answers 200 when it is loaded. Needs FastAPI and uvicorn: " + INSTALL_HINT,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes, each with its own pipeline (default: 1)")
    add_profile_argument(p)
    p.add_argument("--config", default=None, help="pipeline config file or folder (default: the default pipeline)")
    p.add_argument("--api-keys-file", default=None,
                   help="file of API keys, one per line (also: VOC_API_KEYS, comma-separated); "
                        "with keys, requests need Authorization: Bearer <key> (not /healthz, /readyz, /docs)")
    p.add_argument("--max-items", type=int, default=None,
                   help="items per request (default: config service.max_items, 100)")
    p.add_argument("--max-body-bytes", type=int, default=None,
                   help="request body size limit (default: config service.max_body_bytes, 4 MiB)")
    p.add_argument("--threads", type=int, default=None,
                   help="encoder threads per worker (default: config encoder.threads, 2); "
                        "1 when the cores are shared with other work")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run(args: argparse.Namespace) -> int:
    missing = [name for name in ("fastapi", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        return _fail(f"the HTTP service needs {' and '.join(missing)}, not installed: {INSTALL_HINT}")
    if args.workers < 1:
        return _fail("--workers must be at least 1")
    for name in ("max_items", "max_body_bytes", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return _fail(f"--{name.replace('_', '-')} must be at least 1")

    from voc_nlp.pipeline import ConfigError
    from voc_nlp.service.app import _service_section, read_keys_file

    env = {}
    if args.config:
        env["VOC_NLP_CONFIG"] = os.path.abspath(args.config)
    try:
        _service_section(args.config)  # a missing or unreadable config stops here, not in each worker
    except ConfigError as exc:
        return _fail(str(exc))
    if args.api_keys_file:
        try:
            if not read_keys_file(args.api_keys_file):
                return _fail(f"{args.api_keys_file}: no API key in the file")
        except (OSError, UnicodeError) as exc:
            return _fail(f"cannot read the API keys file: {exc}")
        env["VOC_API_KEYS_FILE"] = os.path.abspath(args.api_keys_file)
    if args.max_items:
        env["VOC_NLP_MAX_ITEMS"] = str(args.max_items)
    if args.max_body_bytes:
        env["VOC_NLP_MAX_BODY_BYTES"] = str(args.max_body_bytes)
    if args.threads:
        env["VOC_NLP_THREADS"] = str(args.threads)
    if args.profile:
        env["VOC_NLP_PROFILE"] = args.profile
    os.environ.update(env)  # the workers read their settings from here

    from voc_nlp.service.app import load_api_keys
    from voc_nlp.service.logs import LOGGING_CONFIG

    if not load_api_keys() and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"voc-nlp serve: warning: listening on {args.host} with no API key "
              "(set VOC_API_KEYS or --api-keys-file)", file=sys.stderr)

    import uvicorn

    uvicorn.run(
        "voc_nlp.service.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=LOGGING_CONFIG,
        log_level=args.log_level,
        access_log=False,  # the app logs one JSON line per request itself
        timeout_graceful_shutdown=10,
    )
    return 0


def _fail(message: str) -> int:
    print(f"voc-nlp serve: error: {message}", file=sys.stderr)
    return 2
