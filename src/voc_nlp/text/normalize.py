"""Text normalisation: a minimal clean-up for every record, and a social-post
normalisation applied to a unit's text just before it is encoded.

`clean_text` is run once on every record's text, so every character offset
downstream (units, turns, evidence spans) points into its output. It must
therefore stay small and idempotent.

`normalize_social` is never stored: it only rewrites what the encoder sees
(a tweet's "@united #NeverAgain 😡" becomes "@user never again 😡 enraged
face"). Offsets are not needed, so it may add and remove text freely.

Design choices:
- URLs are *removed*, not replaced by a placeholder: our sentence encoders are
  general-purpose models, and a link carries no opinion. A post that was only
  a link falls back to its raw text, so a non-empty post never becomes empty.
- `@mentions` become `@user`, the convention of TweetEval-style tweet corpora.
- Hashtags are split into lower-case words: CamelCase on case boundaries
  (language-neutral, so `#ServiceClientNul` works), one-case ASCII hashtags
  with `wordsegment` (English unigram statistics, shipped with the package).
- Emoji are kept and followed by their English short name (`😡 enraged face`),
  so an English-vocabulary encoder gets words it knows while a model that does
  know emoji still sees the character. A run of the same emoji is named once.
"""

from __future__ import annotations

import functools
import html
import math
import re
import unicodedata
from pathlib import Path

import emoji

# --- clean_text ------------------------------------------------------------

# C0/C1 control characters except tab (\x09) and newline (\x0a), plus invisible
# format characters that only get in the way of tokenisers (zero-width space,
# soft hyphen, direction marks, word joiner, byte-order mark). The zero-width
# joiner U+200D is kept: it glues multi-part emoji together.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u2060\ufeff]")
# Horizontal space characters, including the no-break and narrow no-break
# spaces French typography puts before "!", "?", ":" and ";".
_SPACE_RUN = re.compile("[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_SPACE_AROUND_NEWLINE = re.compile(" ?\n ?")


def clean_text(text: str) -> str:
    """Minimal normalisation applied to every record's text.

    Unicode NFC, CR/CRLF and Unicode line separators turned into "\\n",
    control and invisible characters removed (newline and tab kept), runs of
    spaces collapsed to one, spaces at line ends and text ends stripped.
    Idempotent: ``clean_text(clean_text(t)) == clean_text(t)``.
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\r" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _INVISIBLE.sub("", text)
    text = _SPACE_RUN.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return text.strip()


# --- normalize_social --------------------------------------------------------

# A URL ends on a character that is not sentence punctuation, so the full stop
# after "see https://t.co/x." survives the removal.
URL_PATTERN = re.compile(
    r"""(?:https?://|www\.|\bt\.co/|\bpic\.twitter\.com/)[^\s]*[^\s.,;:!?)\]}"'»”’]""",
    re.IGNORECASE,
)
# Not preceded by a word character, so e-mail addresses are left alone.
MENTION_PATTERN = re.compile(r"(?<![\w@.])@\w+")
# Not preceded by "&" or a word character, so "&#39;" and "C#" are left alone.
_HASHTAG = re.compile(r"(?<![\w&#])#(\w+)")
# Characters that can start an emoji; only texts containing one pay for the
# (slower) exact emoji scan of the `emoji` package.
_EMOJI_HINT = re.compile("[\u203c-\u3299\U0001f000-\U0001faff]")
# Names of skin-tone variants ("thumbs_up_medium_skin_tone"): the tone carries
# no customer signal, so "👍" and "👍🏽" get the same name.
_SKIN_TONE = re.compile(r"(?:_|,_)(?:light|medium-light|medium|medium-dark|dark)_skin_tone")
# Typographic symbols the emoji package also lists; they are not feelings.
_NOT_FEELINGS = frozenset("©®™")


def normalize_social(text: str) -> str:
    """Normalise a social-media unit for the encoder (see module docstring).

    >>> normalize_social("@united lost my bag again &amp; no reply #NeverAgain")
    '@user lost my bag again & no reply never again'
    """
    # The cheap `in` checks skip regex scans that would find nothing, which
    # is most of them: this runs on every unit of every social post.
    normalized = html.unescape(text) if "&" in text else text
    if may_contain_url(normalized):
        normalized = URL_PATTERN.sub(" ", normalized)
    if "@" in normalized:
        normalized = MENTION_PATTERN.sub("@user", normalized)
    if "#" in normalized:
        normalized = _HASHTAG.sub(_hashtag_words, normalized)
    if not normalized.isascii() and _EMOJI_HINT.search(normalized):
        normalized = _name_emoji(normalized)
    normalized = " ".join(normalized.split())
    if not normalized and any(ch.isalnum() for ch in text):
        # Only a link (or similar) was left: encoding it raw beats encoding nothing.
        return " ".join(html.unescape(text).split())
    return normalized


def may_contain_url(text: str) -> bool:
    """Quick pre-check for URL_PATTERN (a plain substring test is far cheaper
    than a regex scan, and most texts have no link)."""
    return "://" in text or "www." in text or "t.co/" in text or "WWW." in text


def _hashtag_words(match: re.Match) -> str:
    """Replacement for one hashtag: its words, lower-cased, without the '#'."""
    body = match.group(1)
    if body.isdigit():
        return match.group(0)  # "#1" is a rank, not words
    return split_hashtag(body)


def split_hashtag(body: str) -> str:
    """Split a hashtag body (without '#') into lower-case words.

    Underscores separate words; a CamelCase part is split on its case
    boundaries; a one-case ASCII part ("sodisappointed", "WORSTAIRLINE") is
    segmented with English word statistics; anything else (e.g. accented
    "trèsdéçu") is kept whole because the statistics would only mangle it.
    """
    words: list[str] = []
    for part in body.split("_"):
        if not part:
            continue
        if _is_camel_case(part):
            words.extend(_case_words(part))
        elif part.isascii():
            words.extend(_segment_english(part.lower()))
        else:
            words.append(part)
    return " ".join(word.lower() for word in words)


def _is_camel_case(part: str) -> bool:
    """Mixed case beyond a capital first letter: "SoDisappointed", "SNCFRetard"
    (but not "Delayed", "fail" or "WORSTAIRLINE")."""
    return not part.isupper() and not part[1:].islower() and any(ch.islower() for ch in part)


def _case_words(part: str) -> list[str]:
    """Split on case and letter/digit boundaries.

    "ServiceClientNul" -> Service Client Nul; "SNCFRetard" -> SNCF Retard
    (an acronym ends where an upper-case letter starts a lower-case word);
    "UA1510" -> UA 1510. Uses str methods, so accented letters work.
    """
    words, current = [], part[0]
    for prev, ch, nxt in zip(part, part[1:], part[2:] + " "):
        starts_word = (
            (prev.islower() and ch.isupper())
            or (prev.isalpha() != ch.isalpha())
            or (prev.isupper() and ch.isupper() and nxt.islower())
        )
        if starts_word:
            words.append(current)
            current = ch
        else:
            current += ch
    words.append(current)
    return words


@functools.cache
def _segmenter():
    """The wordsegment model, loaded on first use from the files shipped inside
    the package (no network access), by way of voc-nlp's disk cache
    (`voc_nlp.cache`): parsing the two count files took 0.45 s at the first
    hashtag of every process, the cache entry 0.15 s."""
    import numpy as np
    import wordsegment

    from voc_nlp.cache import cached

    segmenter = wordsegment.Segmenter()
    sources = [Path(segmenter.UNIGRAMS_FILENAME), Path(segmenter.BIGRAMS_FILENAME)]
    folder = cached("wordsegment", sources, _save_word_counts)
    if folder is None:
        segmenter.load()
        return segmenter
    for name in ("unigrams", "bigrams"):
        words = (folder / f"{name}.txt").read_text(encoding="utf-8").split("\0")
        setattr(segmenter, name, dict(zip(words, np.load(folder / f"{name}.npy").tolist())))
    segmenter.total, segmenter.limit = segmenter.TOTAL, segmenter.LIMIT
    return segmenter


def _save_word_counts(folder: Path) -> None:
    """wordsegment's unigram and bigram counts as parsed: the words joined by NUL
    (no word holds one), their counts as float64, in the same order."""
    import numpy as np
    import wordsegment

    segmenter = wordsegment.Segmenter()
    segmenter.load()
    for name in ("unigrams", "bigrams"):
        counts = getattr(segmenter, name)
        words = list(counts)
        assert not any("\0" in word for word in words)
        (folder / f"{name}.txt").write_text("\0".join(words), encoding="utf-8")
        np.save(folder / f"{name}.npy", np.array([counts[word] for word in words], dtype=np.float64))


@functools.cache
def _common_words() -> tuple[frozenset[str], frozenset[str]]:
    """The words a long piece may be (the `_KNOWN_WORDS` most frequent; None:
    every word wordsegment knows) and the `_VERY_COMMON_WORDS` a short one may be."""
    counts = _segmenter().unigrams
    by_frequency = sorted(counts, key=counts.get, reverse=True)
    return frozenset(by_frequency[:_KNOWN_WORDS]), frozenset(by_frequency[:_VERY_COMMON_WORDS])


# wordsegment always returns *some* split, and its 333k-word list is full of
# web junk, so a bad split of a French or brand hashtag looks "known" too
# ("arnaque" -> arna que, "honteux" -> hon teu x): the junk hides in short
# pieces. A split is kept when every piece of 2-3 letters is one of the 1,000
# most frequent words and every longer piece a known word. Chosen by 5-fold CV
# on 227 labelled train hashtags (tests/text/data/hashtag_splits.tsv, mean of
# English and French accuracy; `python scripts/eval_hashtag_split.py`): EN
# 0.804, FR 0.750, against 0.754 / 0.464 for the setting it replaces (30,000
# known words, 3,000 very common), which had been checked by eye on dev hashtags.
_KNOWN_WORDS = None
_VERY_COMMON_WORDS = 1_000
_SHORT_PIECE = 3


@functools.lru_cache(maxsize=65536)
def _segment_english(word: str) -> tuple[str, ...]:
    """Segment a lower-case ASCII hashtag ("neveragain" -> never, again), or
    keep it whole unless every piece is a plausible English word."""
    pieces = _most_probable_split(word)
    if len(pieces) > 1 and all(_is_plausible_piece(piece) for piece in pieces):
        return tuple(pieces)
    return (word,)


def _most_probable_split(word: str) -> list[str]:
    """wordsegment's most probable split of `word`, in linear time.

    `Segmenter.segment` memoises every (rest of text, previous word) pair,
    about 0.7 ms per hashtag: too slow for a long tail of distinct hashtags.
    This dynamic programme scores pieces with the same `Segmenter.score`
    (unigram + bigram counts, penalty for unknown words) but keeps only the
    best split ending at each position: ~0.1 ms, and the same answer on 884
    of the 885 one-case hashtags of the English tweet dev sets.
    """
    segmenter = _segmenter()
    best_score = [0.0] + [-math.inf] * len(word)  # best log10 P of word[:end]
    piece_start = [0] * (len(word) + 1)  # where the last piece of that split starts
    last_piece = ["<s>"] + [""] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - segmenter.limit), end):
            piece = word[start:end]
            score = best_score[start] + math.log10(segmenter.score(piece, last_piece[start]))
            if score > best_score[end]:
                best_score[end], piece_start[end], last_piece[end] = score, start, piece
    pieces, end = [], len(word)
    while end > 0:
        pieces.append(word[piece_start[end] : end])
        end = piece_start[end]
    return pieces[::-1]


def _is_plausible_piece(piece: str) -> bool:
    """A number, "a"/"i", or a common word (very common if 2-3 letters long)."""
    if piece.isdigit() or piece in ("a", "i"):
        return True
    common, very_common = _common_words()
    if len(piece) <= _SHORT_PIECE:
        return len(piece) > 1 and piece in very_common
    return piece in common


def _name_emoji(text: str) -> str:
    """Follow each run of the same emoji with its English short name."""
    found = emoji.emoji_list(text)
    pieces, cursor, i = [], 0, 0
    while i < len(found):
        run_start, run_end = found[i]["match_start"], found[i]["match_end"]
        name = _emoji_name(found[i]["emoji"])
        i += 1
        # Group "😡😡😡" (or "👍👍🏽") so the name is said once, not three times.
        while i < len(found) and found[i]["match_start"] == run_end and _emoji_name(found[i]["emoji"]) == name:
            run_end = found[i]["match_end"]
            i += 1
        pieces += [text[cursor:run_start], " ", text[run_start:run_end], " "]
        if name:
            pieces += [name, " "]
        cursor = run_end
    pieces.append(text[cursor:])
    return "".join(pieces)


@functools.lru_cache(maxsize=4096)
def _emoji_name(chars: str) -> str:
    """"😡" -> "enraged face"; "" for symbols that are not emoji of feeling."""
    if chars in _NOT_FEELINGS:
        return ""
    name = emoji.EMOJI_DATA.get(chars, {}).get("en", "")
    name = _SKIN_TONE.sub("", name.strip(":"))
    return name.replace("_", " ")
