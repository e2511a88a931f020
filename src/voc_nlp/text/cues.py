"""Cue words and phrases: accent- and case-insensitive matching, per language.

Used by the journey tagger (touchpoint, phase, problem/praise cues from the
taxonomy) and the emotion component (help-request forms). A cue is a word or
phrase matched on word boundaries; `word*` matches any ending.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


class _FoldTable(dict):
    """`str.translate` table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        c = ch.lower()
        if len(c) != 1:  # e.g. "İ" lower-cases to two characters: keep offsets
            c = ch
        base = unicodedata.normalize("NFKD", c)
        c = base[0] if base and unicodedata.category(base[0])[0] == "L" else c
        c = "'" if c in "’`´" else c
        self[code] = c
        return c


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, accents removed, typographic apostrophes straightened.

    Character for character, so offsets in the folded text are offsets in the
    original one.
    """
    return text.translate(_FOLD)


def cue_regex(cues: list[str]) -> re.Pattern | None:
    """One pattern for a cue list: words or phrases on word boundaries; `word*` matches any ending."""
    parts = []
    for cue in cues:
        cue = fold(cue.strip())
        if not cue:
            continue
        star = cue.endswith("*")
        cue = cue.rstrip("*").strip()
        body = r"\s+".join(re.escape(w) for w in cue.split())
        if star:
            body += r"\w*"
        left = r"(?<!\w)" if cue[0].isalnum() else ""
        right = r"(?!\w)" if (cue[-1].isalnum() and not star) else ""
        parts.append(left + body + right)
    if not parts:
        return None
    # Longest first, so that "customer service" wins over "service".
    parts.sort(key=len, reverse=True)
    return re.compile("|".join(parts))


class CueIndex:
    """Which cue groups (touchpoints, phases, single cues, ...) can match a text, from its words.

    Every match of a cue contains the cue's first word as a whole word (or,
    for a one-word `word*` cue, a word starting with it), so only the groups
    owning one of the text's words need their regex run: exact, and a set
    intersection instead of a regex scan per group.
    """

    def __init__(self, cues_per_group: list[list[str]]):
        self.words: dict[str, set[int]] = {}
        self.prefixes: dict[str, set[int]] = {}
        self.always: set[int] = set()  # cues without a word: always check
        for j, cues in enumerate(cues_per_group):
            for cue in cues:
                folded = fold(cue.strip())
                tokens = re.findall(r"\w+", folded.rstrip("*"))
                if not tokens:
                    if folded:
                        self.always.add(j)
                    continue
                star_word = folded.endswith("*") and len(tokens) == 1 and folded.rstrip("*").endswith(tokens[0])
                table = self.prefixes if star_word else self.words
                table.setdefault(tokens[0], set()).add(j)
        self.prefix_heads: dict[str, list[str]] = {}
        for prefix in self.prefixes:
            self.prefix_heads.setdefault(prefix[:2], []).append(prefix)

        self._keys = frozenset(self.words)
        self._heads = frozenset(self.prefix_heads)

    def candidates(self, folded: str) -> set[int]:
        found = set(self.always)
        words, by_head = _words(folded)
        for word in words & self._keys:  # set intersections, in C
            found |= self.words[word]
        for head in by_head.keys() & self._heads:
            for word in by_head[head]:
                for prefix in self.prefix_heads[head]:
                    if word.startswith(prefix):
                        found |= self.prefixes[prefix]
        return found


@lru_cache(maxsize=4096)
def _words(folded: str) -> tuple[frozenset[str], dict[str, list[str]]]:
    """The text's words, and its words by their first two letters (for `word*` cues).

    Cached: the same text is looked up by several cue lists in a row.
    """
    words = frozenset(re.findall(r"\w+", folded))
    by_head: dict[str, list[str]] = {}
    for word in words:
        by_head.setdefault(word[:2], []).append(word)
    return words, by_head


class CueList:
    """One cue list, matched through a regex over only the cues that can occur.

    The regex of the cues whose first word is in the text (compiled once per
    such subset) gives exactly the matches of the whole list's regex, since
    the other cues cannot match; it runs several times faster than one big
    alternation of every cue.
    """

    def __init__(self, cues: list[str]):
        self.cues = [c for c in cues if fold(c.strip())]
        self.index = CueIndex([[c] for c in self.cues])
        self._compiled: dict[tuple[int, ...], re.Pattern | None] = {}

    def pattern(self, folded: str) -> re.Pattern | None:
        key = tuple(sorted(self.index.candidates(folded)))
        if key not in self._compiled:
            if len(self._compiled) > 50_000:  # bounded memory on endless streams
                self._compiled.clear()
            # In list order, as cue_regex would see the whole list.
            self._compiled[key] = cue_regex([self.cues[k] for k in key]) if key else None
        return self._compiled[key]


class LanguageCues:
    """A cue list per language; items in another language use every list."""

    def __init__(self, by_lang: dict[str, list[str]]):
        everything = [c for cues in by_lang.values() for c in cues]
        self.lists = {lang: CueList(cues + by_lang.get("any", [])) for lang, cues in by_lang.items()}
        self.fallback = CueList(everything)

    def pattern(self, folded: str, lang: str | None) -> re.Pattern | None:
        return self.lists.get(lang or "", self.fallback).pattern(folded)

    def find(self, folded: str, lang: str | None) -> list[tuple[int, int]]:
        p = self.pattern(folded, lang)
        return [] if p is None else [m.span() for m in p.finditer(folded)]

    def occurs(self, folded: str, lang: str | None) -> bool:
        p = self.pattern(folded, lang)
        return p is not None and p.search(folded) is not None

    def opens(self, folded: str, lang: str | None) -> bool:
        """Whether the text (its leading @mentions left out) starts with one of the cues."""
        return any(start == 0 for start, _ in self.find(without_leading_mentions(folded), lang))


def without_leading_mentions(folded: str) -> str:
    """"@united @jfk can you ..." -> "can you ...": a tweet's addressees are not its first words."""
    return re.sub(r"^[\s.]*(?:@\w+[\s:,.]*)*", "", folded).strip()



def negated_before(folded: str, start: int, negations: set[str], words: int = 2) -> bool:
    """Whether one of the `words` words before `start` in a folded text is a negation
    ("never called", "not too expensive", "pas trop cher"); any "...n't" word is one."""
    before = folded[max(0, start - 12 * words):start].split()[-words:]
    return any(w.strip(",") in negations or w.endswith("n't") for w in before)
