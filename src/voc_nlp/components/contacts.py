"""Contacts with the company that an item states or is: channel and count.

A rule component. Its phrases are data, a rule file per language (`phrases`,
`voc_nlp.rules`; `configs/rules/<lang>/contacts.yaml`), one list per contact
channel, plus the number words and `times` phrases they share:

- a *mention* says a contact happened ("I called", "j'ai appelé", "on
  hold"): one contact, or the number a *times* phrase gives in the next few
  words ("called them three times", "j'ai appelé 2 fois");
- a *counted* phrase holds the number as `{n}` ("after {n} chats" reads
  "after 4 chats", "{n} appels" reads "trois appels");
- a mention with a negation just before it ("never emailed", "pas appelé")
  does not count.

Only customer units are read (an agent's "I called the warehouse" is not the
customer's contact). Per item and channel the record keeps the largest count
found, not the sum: "I called three times ... when I called again" is three,
not four; counts are capped at `max_count` (hyperbole: "called 100 times").

The item itself is a contact when it came in through a contact channel
(`channels`: input channel -> contact channel, e.g. chat -> chat, phone ->
phone), or when it is a transcript (units with speakers) from a channel
not listed (`transcript`, default chat): a count of at least 1 for that
channel, with `text` null.

Record field `contacts`: [{channel, count, text}], sorted by channel; `text`
is the phrase that gave the count (null when the item itself is the contact).
The report prices these contacts (`contact_costs` in the config).
"""

from __future__ import annotations

import re

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.registry import components
from voc_nlp.rules import ANY_LANGUAGE, read_phrase_lists
from voc_nlp.text.cues import CueList, cue_regex, fold, negated_before

# How many words may separate a mention from its count ("called your support line three times");
# the count is looked for up to the end of the clause (a comma or a sentence end).
TIMES_WITHIN_WORDS = 5
_SENTENCE_END = re.compile(r"[.,!?;\n]")
# The lists of a contacts rule file that are not a channel; `numbers` and `times_words` map phrases to counts.
SHARED_LISTS = ("numbers", "times", "times_words", "negations")
COUNTED_LISTS = ("numbers", "times_words")
EXAMPLE = "rules/{lang}/contacts.yaml"


def phrase_regex(phrase: str, number: str) -> re.Pattern:
    """A phrase whose `{n}` is a number (the `number` regex, one group), on word boundaries."""
    parts = []
    for token in _phrase_tokens(phrase):
        if token == "{n}":
            parts.append(number)
        elif token.isspace():
            parts.append(r"\s+")
        elif token:
            parts.append(re.escape(token))
    return re.compile(r"(?<!\w)" + "".join(parts) + r"(?!\w)")


def _phrase_tokens(phrase: str) -> list[str]:
    return re.split(r"(\{n\}|\s+)", fold(phrase.strip()))


class PhrasePattern:
    """`phrase_regex(phrase, number)`, compiled when a text first holds all the
    phrase's words (a match holds each of them, so a text without one cannot
    match). Each pattern embeds the number words: compiling a language's 30
    took 0.1 s of every start, and a small batch needs few of them."""

    def __init__(self, phrase: str, number: str):
        self.phrase, self.number = phrase, number
        self.words = [t for t in _phrase_tokens(phrase) if t and t != "{n}" and not t.isspace()]
        self._regex: re.Pattern | None = None

    def finditer(self, folded: str):
        if not all(word in folded for word in self.words):
            return iter(())
        if self._regex is None:
            self._regex = phrase_regex(self.phrase, self.number)
        return self._regex.finditer(folded)


class ContactRules:
    """One language's contact phrases, compiled: `lists` holds that language's list of each name."""

    def __init__(self, lists: dict, max_count: int):
        self.max_count = max_count
        self.numbers = {fold(k).strip(): n for k, n in lists.get("numbers", {}).items()}
        words = sorted((r"\s+".join(map(re.escape, k.split())) for k in self.numbers), key=len, reverse=True)
        number = r"(\d{1,3}|" + "|".join(words) + ")" if words else r"(\d{1,3})"
        self.times = [PhrasePattern(p, number) for p in lists.get("times", [])]
        self.times_words = {fold(k).strip(): n for k, n in lists.get("times_words", {}).items()}
        self.times_words_re = cue_regex(list(self.times_words))
        self.negations = {fold(w) for w in lists.get("negations", [])}
        self.channels = {}
        for channel, phrases in lists.items():
            if channel in SHARED_LISTS:
                continue
            # A phrase that holds `{n}` is counted; one without is a mention. The mentions are matched
            # by a regex of those whose first word is in the text (`CueList`, same matches): one
            # alternation of them all, tried at every word of every unit, was most of this step's time.
            mentions = CueList([p for p in phrases if "{n}" not in p])
            counted = [PhrasePattern(p, number) for p in phrases if "{n}" in p]
            self.channels[channel] = (mentions, counted)

    def count(self, value: str) -> int:
        n = int(value) if value.isdigit() else self.numbers.get(" ".join(value.split()), 1)
        return max(1, min(n, self.max_count))

    def find(self, text: str) -> dict[str, tuple[int, str]]:
        """{channel: (largest count, phrase)} stated in `text`."""
        folded = fold(text)
        found: dict[str, tuple[int, str]] = {}

        def keep(channel: str, n: int, start: int, end: int) -> None:
            if n > found.get(channel, (0, ""))[0]:
                found[channel] = (n, " ".join(text[start:end].split()))

        for channel, (mentions, counted) in self.channels.items():
            for pattern in counted:
                for m in pattern.finditer(folded):
                    if not negated_before(folded, m.start(), self.negations):
                        keep(channel, self.count(m.group(1)), m.start(), m.end())
            regex = mentions.pattern(folded)
            if regex is None:
                continue
            for m in regex.finditer(folded):
                if negated_before(folded, m.start(), self.negations):
                    continue
                n, end = self._times_after(folded, m.end())
                keep(channel, n, m.start(), end or m.end())
        return found

    def _times_after(self, folded: str, end: int) -> tuple[int, int | None]:
        """(count, end of the count phrase) of a times phrase right after a mention; (1, None) without one."""
        rest = folded[end:end + 80]
        stop = _SENTENCE_END.search(rest)
        rest = rest[:stop.start()] if stop else rest
        candidates = [(m, self.count(m.group(1))) for p in self.times for m in p.finditer(rest)]
        if self.times_words_re is not None:
            candidates += [(m, min(self.times_words[" ".join(m.group().split())], self.max_count))
                           for m in self.times_words_re.finditer(rest)]
        near = [(m.start(), m.end(), n) for m, n in candidates if len(rest[:m.start()].split()) <= TIMES_WITHIN_WORDS]
        if not near:
            return 1, None
        _, stop_at, n = min(near)  # the first one after the mention
        return n, end + stop_at


@components.register("contacts")
class ContactCounter(Component):
    name = "contacts"
    requires = ("record.units", "record.lang")
    assigns = ("record.contacts",)

    def __init__(self, phrases: str | list[str] | None = None, max_count: int = 10,
                 channels: dict[str, str] | None = None, transcript: str | None = "chat"):
        # `phrases`: rule files (voc_nlp.rules), read here once; null: only the item itself is counted.
        if int(max_count) < 1:
            raise ValueError(f"max_count must be at least 1, got {max_count}")
        lists = read_phrase_lists(phrases, "phrases", EXAMPLE, counts=COUNTED_LISTS) if phrases else {}
        languages = sorted({lang for by_lang in lists.values() for lang in by_lang})
        self.by_lang = {lang: ContactRules({name: by_lang[lang] for name, by_lang in lists.items()}, int(max_count))
                        for lang in languages}
        self.channels = {fold(str(k)): str(v) for k, v in (channels or {}).items()}
        self.transcript = transcript

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        for doc in docs:
            if doc.ok:
                doc.record.contacts = self.contacts(doc)

    def contacts(self, doc: FeedbackDoc) -> list[dict]:
        record = doc.record
        # Items in a language without rules are read with every language's; a file for any language
        # (a path without `{lang}`) is read for every item.
        rules = ([r for lang, r in self.by_lang.items() if lang in (record.lang, ANY_LANGUAGE)]
                 if record.lang in self.by_lang else list(self.by_lang.values()))
        found: dict[str, tuple[int, str | None]] = {}
        for unit in doc.scored_units:
            for r in rules:
                for channel, (n, phrase) in r.find(unit.text).items():
                    if n > found.get(channel, (0, None))[0]:
                        found[channel] = (n, phrase)
        itself = self.channels.get(fold(record.channel or "").strip())
        if itself is None and any(u.speaker is not None for u in record.units):
            itself = self.transcript
        if itself and itself not in found:
            found[itself] = (1, None)
        return [{"channel": c, "count": n, "text": phrase} for c, (n, phrase) in sorted(found.items())]
