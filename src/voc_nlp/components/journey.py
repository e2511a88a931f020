"""Customer-journey phase, touchpoints, evidence spans and aspect sentiment.

Everything comes from the taxonomy (`configs/taxonomy.yaml` or the analyst's
own file), so a touchpoint added there is tagged on the next run, with no
retraining:

1. **Prototypes.** At construction the component encodes, once, every
   touchpoint's example phrases and description with the shared encoder. No
   item text is encoded again: the component reads the unit embeddings
   (`doc.vectors`, one row per customer unit) written by `embed`.
2. **Unit scores.** For each customer unit (sentence or customer turn) and
   touchpoint: the cosine similarity to the touchpoint's closest prototypes,
   plus a bonus when one of the touchpoint's cue words occurs in the unit.
   Nothing is trained: the taxonomy text is the model.
3. **Touchpoints.** Item score = best unit score. A touchpoint is kept when
   its score passes its threshold and is close enough to the best one;
   ordered by score. An item that says something (a few words) but names no
   touchpoint clearly is about the taxonomy's `fallback_touchpoint` (the
   product / core service). Evidence: the unit (and the clause in it that holds the
   cue, when a unit names several touchpoints) carrying each touchpoint.
4. **Aspect sentiment.** Sentiment of the evidence clause from the taxonomy's
   problem/praise cue lists, else the evidence unit's sentiment; a problem
   reported about a touchpoint makes it negative even when stated calmly.
5. **Phase.** Phase cues (in `journey.phase_cue_order`), then the
   "question about whether something is possible, with no sign of being a
   customer" rule, then the default phase of the strongest touchpoint, else
   the taxonomy's unknown phase. `stage` follows from the phase.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.encoders.base import Encoder
from voc_nlp.registry import components
from voc_nlp.schema import Unit
from voc_nlp.taxonomy import Taxonomy


def fold(text: str) -> str:
    """Lower-case, accents removed, typographic apostrophes straightened.

    Character for character, so offsets in the folded text are offsets in the
    original one.
    """
    out = []
    for ch in text:
        c = ch.lower()
        if len(c) != 1:
            c = ch
        base = unicodedata.normalize("NFKD", c)
        c = base[0] if base and unicodedata.category(base[0])[0] == "L" else c
        out.append("'" if c in "’`´" else c)
    return "".join(out)


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


class _Cues:
    """A cue list per language; items in another language use every list."""

    def __init__(self, by_lang: dict[str, list[str]]):
        everything = [c for cues in by_lang.values() for c in cues]
        self.patterns = {lang: cue_regex(cues + by_lang.get("any", [])) for lang, cues in by_lang.items()}
        self.fallback = cue_regex(everything)

    def pattern(self, lang: str | None) -> re.Pattern | None:
        return self.patterns.get(lang or "", self.fallback)

    def find(self, folded: str, lang: str | None) -> list[tuple[int, int]]:
        p = self.pattern(lang)
        return [] if p is None else [m.span() for m in p.finditer(folded)]


@dataclass
class _Clause:
    start: int  # offsets into the record text
    end: int


@components.register("journey")
class JourneyTagger(Component):
    name = "journey"
    requires = ("doc.vectors", "unit.sentiment")
    assigns = ("record.phase", "record.phase_score", "record.stage", "record.touchpoints",
               "record.touchpoint_scores", "record.touchpoint_evidence", "record.touchpoint_sentiment")

    def __init__(
        self,
        taxonomy: Taxonomy,
        encoder: Encoder,
        threshold: float = 0.5,
        floor: float = 0.35,
        fallback_gap: float = 0.25,
        margin: float = 0.3,
        cue_weight: float = 0.25,
        top_k: int = 3,
        max_touchpoints: int = 4,
    ):
        if not taxonomy.touchpoints:
            raise ValueError(
                f"the taxonomy ({taxonomy.source or 'default'}) has no touchpoints; the journey "
                "component needs `phases` and `touchpoints` sections"
            )
        self.taxonomy = taxonomy
        self.threshold = threshold
        self.floor = floor
        self.fallback_gap = fallback_gap
        self.margin = margin
        self.cue_weight = cue_weight
        self.top_k = top_k
        self.max_touchpoints = max_touchpoints
        self.ids = taxonomy.touchpoint_ids
        self.thresholds = np.array(
            [t.threshold if t.threshold is not None else threshold for t in taxonomy.touchpoints],
            dtype=np.float32,
        )

        # Prototypes: each touchpoint's examples and description, encoded once.
        texts, owners = [], []
        for j, tp in enumerate(taxonomy.touchpoints):
            for text in tp.all_examples() + ([tp.description] if tp.description else []):
                texts.append(text)
                owners.append(j)
        self.prototypes = encoder.encode(texts)
        self.owners = np.array(owners)
        self.encoder_fingerprint = encoder.fingerprint

        self.tp_cues = [_Cues(tp.cues) for tp in taxonomy.touchpoints]
        # Every touchpoint's cues, all languages, in one pattern: a superset of
        # each touchpoint's own, so a unit it does not match has no cue at all.
        # Most units match none, and one scan then saves a scan per touchpoint.
        self.any_cue = cue_regex([c for tp in taxonomy.touchpoints for cues in tp.cues.values() for c in cues])
        fallback = taxonomy.journey.fallback_touchpoint
        self.fallback = self.ids.index(fallback) if fallback in self.ids else None
        rules = taxonomy.journey
        self.phase_cues = {p.id: _Cues(p.cues) for p in taxonomy.phases if p.cues}
        self.question = _Cues(rules.question_cues)
        self.customer_signs = _Cues(rules.customer_signs)
        self.problem = _Cues(rules.problem_cues)
        self.praise = _Cues(rules.praise_cues)
        self.breaks = _Cues(rules.clause_breaks)

    @property
    def version(self) -> str:
        return f"journey-{len(self.ids)}tp"

    # -- scoring ---------------------------------------------------------------

    def unit_scores(self, doc: FeedbackDoc) -> tuple[np.ndarray, np.ndarray]:
        """(prototype similarity, cue hits), each (n_units, n_touchpoints)."""
        units = doc.scored_units
        n, m = len(units), len(self.ids)
        vectors = doc.vectors if doc.vectors is not None else np.zeros((0, self.prototypes.shape[1]))
        sims = vectors @ self.prototypes.T if n else np.zeros((0, len(self.owners)))
        sim = np.zeros((n, m), dtype=np.float32)
        for j in range(m):
            cols = sims[:, self.owners == j]
            if cols.shape[1] == 0:
                continue
            k = min(self.top_k, cols.shape[1])
            sim[:, j] = np.sort(cols, axis=1)[:, -k:].mean(axis=1)
        cue = np.zeros((n, m), dtype=np.float32)
        lang = doc.record.lang
        for i, unit in enumerate(units):
            folded = fold(unit.text)
            if self.any_cue is None or not self.any_cue.search(folded):
                continue
            for j, cues in enumerate(self.tp_cues):
                pattern = cues.pattern(lang)
                # Only whether a cue occurs matters here: stop at the first.
                if pattern is not None and pattern.search(folded):
                    cue[i, j] = 1.0
        return sim, cue

    def combine(self, sim: np.ndarray, cue: np.ndarray) -> np.ndarray:
        return sim + self.cue_weight * cue

    # -- running -----------------------------------------------------------------

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        for doc in docs:
            if doc.ok:
                self.tag(doc)

    def tag(self, doc: FeedbackDoc) -> None:
        record = doc.record
        units = doc.scored_units
        unknown = self.taxonomy.journey.unknown_phase
        if not units:
            record.phase, record.phase_score = unknown, 0.0
            record.stage = self.taxonomy.stage_of(unknown)
            return
        sim, cue = self.unit_scores(doc)
        unit_score = self.combine(sim, cue)
        item = unit_score.max(axis=0)
        chosen = self.select(item, _word_count(units))
        record.touchpoints = [self.ids[j] for j in chosen]
        record.touchpoint_scores = {t: round(float(np.clip(s, 0.0, 1.0)), 4) for t, s in zip(self.ids, item)}
        record.touchpoint_evidence, record.touchpoint_sentiment = self.evidence(
            doc, units, unit_score, cue, chosen
        )
        record.phase, record.phase_score = self.decide_phase(doc, units, chosen, item)
        record.stage = self.taxonomy.stage_of(record.phase)

    def select(self, item: np.ndarray, n_words: int = 0) -> list[int]:
        order = [int(j) for j in np.argsort(-item, kind="stable")]
        best = item[order[0]]
        chosen = [j for j in order if item[j] >= self.thresholds[j] and item[j] >= best - self.margin]
        if not chosen and n_words >= self.taxonomy.journey.fallback_min_words:
            # Something is said but nothing passes: the best touchpoint if it is
            # at least plausible, else the fallback touchpoint (the product itself).
            lead = best - (item[self.fallback] if self.fallback is not None else 0.0)
            if best >= self.floor and lead >= self.fallback_gap:
                chosen = [order[0]]
            elif self.fallback is not None:
                chosen = [self.fallback]
        return chosen[: self.max_touchpoints]

    # -- evidence and aspect sentiment ---------------------------------------------

    def evidence(self, doc, units: list[Unit], unit_score: np.ndarray, cue: np.ndarray,
                 chosen: list[int]) -> tuple[list[dict], dict[str, str]]:
        record = doc.record
        lang = record.lang
        best_unit = {j: int(unit_score[:, j].argmax()) for j in chosen}
        evidence, sentiment = [], {}
        for j in chosen:
            i = best_unit[j]
            unit = units[i]
            # Other touchpoints carried by the same unit: locate each in a clause.
            sharing = [k for k in chosen if best_unit[k] == i]
            span = None
            if len(sharing) > 1:
                span = self._clause_for(unit, j, sharing, lang)
            start, end = (span.start, span.end) if span else (unit.start, unit.end)
            polarity = self._polarity(record.text[start:end], lang)
            label = self._aspect_sentiment(unit, polarity, clause=span is not None, item_label=record.sentiment)
            tp = self.ids[j]
            sentiment[tp] = label
            evidence.append({
                "touchpoint": tp, "unit_index": unit.index, "start": start, "end": end,
                "text": record.text[start:end], "sentiment": label,
            })
        return evidence, sentiment

    def _clauses(self, unit: Unit, lang: str | None) -> list[_Clause]:
        folded = fold(unit.text)
        cuts = {0, len(folded)}
        for m in re.finditer(r"[,;:!?.]+|\s[-–]\s|\n", folded):
            cuts.add(m.end())
        for s, _ in self.breaks.find(folded, lang):
            cuts.add(s)
        cuts = sorted(cuts)
        out = []
        for a, b in zip(cuts, cuts[1:]):
            piece = unit.text[a:b]
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece.rstrip())
            if trail > lead:
                out.append(_Clause(unit.start + a + lead, unit.start + a + trail))
        return out

    def _clause_for(self, unit: Unit, j: int, sharing: list[int], lang) -> _Clause | None:
        clauses = self._clauses(unit, lang)
        if len(clauses) < 2:
            return None
        folded = fold(unit.text)
        owner = []  # for each clause, touchpoints whose cue occurs in it
        for c in clauses:
            a, b = c.start - unit.start, c.end - unit.start
            owner.append({k for k in sharing if self.tp_cues[k].find(folded[a:b], lang)})
        mine = [n for n, o in enumerate(owner) if j in o]
        if not mine:
            return None
        # The clause with the cue, extended over following clauses that name no other touchpoint.
        first = mine[0]
        last = first
        while last + 1 < len(clauses) and not (owner[last + 1] - {j}):
            last += 1
        return _Clause(clauses[first].start, clauses[last].end)

    def _polarity(self, text: str, lang) -> int:
        folded = fold(text)
        bad = len(self.problem.find(folded, lang))
        good = len(self.praise.find(folded, lang))
        return (good > bad) - (bad > good)

    def _aspect_sentiment(self, unit: Unit, polarity: int, clause: bool, item_label: str | None) -> str:
        labels = self.taxonomy.sentiment_labels
        neg, pos = self.taxonomy.negative, self.taxonomy.positive
        neutral = next((lab for lab in labels if lab not in (neg, pos)), neg)
        unit_label = unit.sentiment or neutral
        if clause and polarity:
            return pos if polarity > 0 else neg
        if polarity < 0:
            # A problem reported about the touchpoint: negative, even when calm.
            return neg
        if unit_label == neutral and polarity == 0 and item_label == neg:
            # A flat sentence in a complaint ("4 hours on hold to change a flight.
            # Unacceptable!"): the complaint is about it.
            return neg
        return unit_label

    # -- phase -----------------------------------------------------------------------

    def decide_phase(self, doc, units: list[Unit], chosen: list[int], item: np.ndarray) -> tuple[str, float]:
        rules = self.taxonomy.journey
        lang = doc.record.lang
        folded = fold(" \n ".join(u.text for u in units))
        for phase in rules.phase_cue_order:
            cues = self.phase_cues.get(phase)
            if cues is not None and cues.find(folded, lang):
                return phase, 0.9
        if rules.question_phase and self._possibility_question(units, lang):
            return rules.question_phase, 0.75
        if chosen:
            top = chosen[0]
            return self.taxonomy.touchpoints[top].phase, round(float(np.clip(item[top], 0.0, 1.0)), 4)
        return rules.unknown_phase, 0.0

    def _possibility_question(self, units: list[Unit], lang) -> bool:
        first = fold(units[0].text).lstrip(" @#").strip()
        first = re.sub(r"^(@\w+\s*)+", "", first)
        asks = any(s == 0 for s, _ in self.question.find(first, lang)) or (
            first.rstrip().endswith("?") and bool(self.question.find(first, lang))
        )
        if not asks:
            return False
        everything = fold(" ".join(u.text for u in units))
        return not self.customer_signs.find(everything, lang)


def _word_count(units: list[Unit]) -> int:
    """Words of the customer's text, @mentions, links and hashtags left out."""
    text = " ".join(u.text for u in units)
    return len([w for w in re.findall(r"[@#]?\w[\w'’-]*", text) if w[0] not in "@#" and not w.startswith("http")])
