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
   reported about a touchpoint makes it negative even when stated calmly (a
   problem cue, or a problem score >= 0.5 for its evidence unit); praise in a
   flat sentence that leans positive, not a question, makes it positive; a
   clause that only asks for an action (`journey.request_openers`: "can you
   delete my account?") leaves its touchpoint neutral.
5. **Phase.** Phase cues (in `journey.phase_cue_order`), then the
   "question about whether something is possible, with no sign of being a
   customer" rule (a problem report is such a sign: `doc.problem_scores`,
   when the `problems` component ran), then the default phase of the
   strongest touchpoint, else the taxonomy's unknown phase. `stage` follows
   from the phase. A post quoting the brand's own broadcast reacts to its
   marketing (`journey.brand_post_reaction`: awareness, social media).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.components.embed import stack_vectors
from voc_nlp.doc import FeedbackDoc
from voc_nlp.encoders.base import Encoder
from voc_nlp.registry import components
from voc_nlp.schema import Unit
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text.cues import CueIndex, LanguageCues, fold, without_leading_mentions


@dataclass
class _Clause:
    start: int  # offsets into the record text
    end: int


@components.register("journey")
class JourneyTagger(Component):
    name = "journey"
    requires = ("doc.vectors", "doc.unit_inputs", "unit.sentiment")
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
        # Prototype columns grouped by touchpoint, padded to the largest group,
        # so the top-k mean of every touchpoint is one sort over the chunk.
        width = max(np.bincount(self.owners, minlength=len(self.ids)).max(initial=0), 1)
        self._slots = np.full((len(self.ids), width), -1)
        self._k = np.zeros(len(self.ids), dtype=np.float32)
        for j in range(len(self.ids)):
            cols = np.flatnonzero(self.owners == j)
            self._slots[j, : len(cols)] = cols
            self._k[j] = min(top_k, len(cols))
        self.encoder_fingerprint = encoder.fingerprint

        self.tp_cues = [LanguageCues(tp.cues) for tp in taxonomy.touchpoints]
        self.cue_index = CueIndex([[c for cues in tp.cues.values() for c in cues] for tp in taxonomy.touchpoints])
        fallback = taxonomy.journey.fallback_touchpoint
        self.fallback = self.ids.index(fallback) if fallback in self.ids else None
        rules = taxonomy.journey
        reaction_tp = rules.brand_post_touchpoint
        self.brand_post = self.ids.index(reaction_tp) if reaction_tp in self.ids else None
        self.phase_cues = {p.id: LanguageCues(p.cues) for p in taxonomy.phases if p.cues}
        self.phase_index = CueIndex([_all_cues(self.taxonomy.phase(p).cues) if p in self.phase_cues else []
                                      for p in rules.phase_cue_order])
        self.question = LanguageCues(rules.question_cues)
        self.customer_signs = LanguageCues(rules.customer_signs)
        self.problem = LanguageCues(rules.problem_cues)
        self.praise = LanguageCues(rules.praise_cues)
        self.breaks = LanguageCues(rules.clause_breaks)
        self.request = LanguageCues(rules.request_openers)
        self.polarity_index = CueIndex([_all_cues(rules.problem_cues), _all_cues(rules.praise_cues)])

    @property
    def version(self) -> str:
        return f"journey-{len(self.ids)}tp"

    # -- scoring ---------------------------------------------------------------

    def similarity(self, vectors: np.ndarray) -> np.ndarray:
        """(n_units, n_touchpoints): mean cosine to each touchpoint's top_k closest prototypes."""
        n, m = len(vectors), len(self.ids)
        if n == 0:
            return np.zeros((0, m), dtype=np.float32)
        sims = vectors @ self.prototypes.T
        padded = np.where(self._slots >= 0, sims[:, self._slots.clip(min=0)], -np.inf)  # (n, m, width)
        k_max = int(self._k.max(initial=0))
        if k_max == 0:
            return np.zeros((n, m), dtype=np.float32)
        top = -np.sort(-padded, axis=2)[:, :, :k_max]
        take = np.arange(k_max)[None, None, :] < self._k[None, :, None]
        total = np.where(take, top, 0.0).sum(axis=2)
        return (total / np.maximum(self._k, 1.0)).astype(np.float32)

    def cue_hits(self, folded_units: list[str], lang: str | None) -> np.ndarray:
        """(n_units, n_touchpoints): 1 where a cue word of the touchpoint occurs in the unit
        (for the fallback touchpoint: other than inside a longer cue of another one)."""
        cue = np.zeros((len(folded_units), len(self.ids)), dtype=np.float32)
        for i, folded in enumerate(folded_units):
            # Only whether a cue occurs matters here: stop at the first.
            hits = [j for j in self.cue_index.candidates(folded) if self.tp_cues[j].occurs(folded, lang)]
            cue[i, hits] = 1.0
            if self.fallback in hits and len(hits) > 1:
                # The fallback's words are generic: "service" inside "customer
                # service", "flight" inside "book a flight" name another touchpoint.
                others = [span for j in hits if j != self.fallback for span in self.tp_cues[j].find(folded, lang)]
                if all(_inside_longer(span, others) for span in self.tp_cues[self.fallback].find(folded, lang)):
                    cue[i, self.fallback] = 0.0
        return cue

    def combine(self, sim: np.ndarray, cue: np.ndarray) -> np.ndarray:
        return sim + self.cue_weight * cue

    # -- running -----------------------------------------------------------------

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        # One similarity pass over the whole chunk, then per-item decisions.
        matrix, counts = stack_vectors(live, self.prototypes.shape[1])
        sim = self.similarity(matrix)
        offset = 0
        for doc, n in zip(live, counts):
            self.tag(doc, sim[offset : offset + n])
            offset += n

    def tag(self, doc: FeedbackDoc, sim: np.ndarray) -> None:
        """Decide one item from `sim`, its units' similarity rows (from `similarity`)."""
        record = doc.record
        units = doc.scored_units
        unknown = self.taxonomy.journey.unknown_phase
        if not units:
            record.phase, record.phase_score = unknown, 0.0
            record.stage = self.taxonomy.stage_of(unknown)
            return
        # Cue words are looked for in the normalised unit text (as the encoder
        # reads it), so "#BadCustomerService" names customer service.
        cue = self.cue_hits([fold(t) for t in doc.scored_texts], record.lang)
        unit_score = self.combine(sim, cue)
        item = unit_score.max(axis=0)
        fallback_named = self.fallback is not None and bool(cue[:, self.fallback].any())
        chosen = self.select(item, _word_count(units), fallback_named)
        reacts = self.taxonomy.journey.brand_post_phase is not None and _quotes_brand_post(units)
        if reacts and self.brand_post is not None:
            # The brand's post is what the item is about; other touchpoints
            # stay only when they pass on their own (not as the fallback).
            chosen = [self.brand_post] + [j for j in chosen if j != self.brand_post and item[j] >= self.thresholds[j]]
            chosen = chosen[: self.max_touchpoints]
        record.touchpoints = [self.ids[j] for j in chosen]
        record.touchpoint_scores = dict(zip(self.ids, np.clip(item, 0.0, 1.0).round(4).tolist()))
        record.touchpoint_evidence, record.touchpoint_sentiment = self.evidence(
            doc, units, unit_score, cue, chosen
        )
        record.phase, record.phase_score = self.decide_phase(doc, units, chosen, item, reacts)
        record.stage = self.taxonomy.stage_of(record.phase)

    def select(self, item: np.ndarray, n_words: int = 0, fallback_named: bool = False) -> list[int]:
        order = [int(j) for j in np.argsort(-item, kind="stable")]
        best = item[order[0]]
        # The product named by a cue word and judged ("produit conforme", "great
        # flight") stays even far behind a stronger touchpoint.
        chosen = [j for j in order if item[j] >= self.thresholds[j]
                  and (item[j] >= best - self.margin or (j == self.fallback and fallback_named))]
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
            problem = doc.problem_scores is not None and float(doc.problem_scores[i]) >= 0.5
            # A request is not a verdict: a clause of its own beside a verdict on
            # something else, or a whole unit that asks and reports no problem
            # ("could you tell me about the cancellation fee?", which a tweet-trained
            # sentiment model may read as negative).
            asks = (span is not None or not problem) and self.request.opens(fold(record.text[start:end]), lang)
            label = self._aspect_sentiment(unit, polarity, clause=span is not None, item_label=record.sentiment,
                                           reports_problem=problem, asks=asks)
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
            piece = folded[c.start - unit.start : c.end - unit.start]
            possible = self.cue_index.candidates(piece)
            owner.append({k for k in sharing if k in possible and self.tp_cues[k].occurs(piece, lang)})
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
        possible = self.polarity_index.candidates(folded)
        bad = self.problem.find(folded, lang) if 0 in possible else []
        good = self.praise.find(folded, lang) if 1 in possible else []
        # The longer cue wins: "pas cher" (praise) is not "pas" + "cher" (problems).
        n_bad = sum(not _inside_longer(span, good) for span in bad)
        n_good = sum(not _inside_longer(span, bad) for span in good)
        return (n_good > n_bad) - (n_bad > n_good)

    def _aspect_sentiment(self, unit: Unit, polarity: int, clause: bool, item_label: str | None,
                          reports_problem: bool = False, asks: bool = False) -> str:
        neg, pos = self.taxonomy.negative, self.taxonomy.positive
        neutral = self.taxonomy.neutral or neg
        unit_label = unit.sentiment or neutral
        if clause and polarity:
            return pos if polarity > 0 else neg
        if asks and polarity == 0:
            # A request for an action next to a verdict on something else
            # ("not happy with the service, can you delete my account?").
            return neutral
        if polarity > 0 and unit_label == neutral and (unit.sentiment_score or 0.0) > 0.0 and "?" not in unit.text:
            # Praise the sentence leans towards ("produit correspondant au descriptif");
            # in a question it is not praise ("what's a good address to write to?").
            return pos
        if polarity < 0:
            # A problem reported about the touchpoint: negative, even when calm.
            return neg
        if unit_label == neutral and polarity == 0 and reports_problem and not clause:
            # A calm problem report the cue lists miss ("there was a charge applied
            # when I used my card"): the problem model reads it.
            return neg
        if unit_label == neutral and polarity == 0 and item_label == neg:
            # A flat sentence in a complaint ("4 hours on hold to change a flight.
            # Unacceptable!"): the complaint is about it.
            return neg
        return unit_label

    # -- phase -----------------------------------------------------------------------

    def decide_phase(self, doc, units: list[Unit], chosen: list[int], item: np.ndarray,
                     reacts_to_brand_post: bool = False) -> tuple[str, float]:
        rules = self.taxonomy.journey
        lang = doc.record.lang
        folded = fold(" \n ".join(u.text for u in units))
        possible = self.phase_index.candidates(folded)
        for n, phase in enumerate(rules.phase_cue_order):
            cues = self.phase_cues.get(phase)
            if n in possible and cues is not None and cues.occurs(folded, lang):
                return phase, 0.9
        if reacts_to_brand_post:
            return rules.brand_post_phase, 0.8
        if rules.question_phase and self._possibility_question(units, lang) and not self._reports_problem(doc):
            return rules.question_phase, 0.75
        if chosen:
            top = chosen[0]
            phase = self.taxonomy.touchpoints[top].phase
            if phase in rules.question_only_phases and not self._is_question(units, lang):
                phase = rules.statement_phase
            return phase, round(float(np.clip(item[top], 0.0, 1.0)), 4)
        return rules.unknown_phase, 0.0

    @staticmethod
    def _reports_problem(doc) -> bool:
        """A problem report ("why can't I paste into the terminal?") shows a customer."""
        scores = doc.problem_scores
        return scores is not None and len(scores) > 0 and float(np.max(scores)) >= 0.5

    def _is_question(self, units: list[Unit], lang) -> bool:
        return any("?" in u.text for u in units) or any(
            self.question.occurs(fold(u.text), lang) for u in units
        )

    def _possibility_question(self, units: list[Unit], lang) -> bool:
        first = without_leading_mentions(fold(units[0].text))
        asks = self.question.opens(first, lang) or (
            first.rstrip().endswith("?") and bool(self.question.find(first, lang))
        )
        if not asks:
            return False
        everything = fold(" ".join(u.text for u in units))
        return not self.customer_signs.occurs(everything, lang)


# A post opening with a quoted tweet of an account that is not a reply to
# someone: '"@JetBlue: Our fleet's on fleek." lol' (old-style retweet with
# comment), not '"@united: @jo Please DM us" ok'.
_BROADCAST_QUOTE = re.compile(r'^\s*(?:RT\s+)?["“]@\w+:\s*(?!@)\S')


def _quotes_brand_post(units: list[Unit]) -> bool:
    return bool(units) and _BROADCAST_QUOTE.match(units[0].text) is not None


def _inside_longer(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    start, end = span
    return any(a <= start and end <= b and b - a > end - start for a, b in others)


def _all_cues(by_lang: dict[str, list[str]]) -> list[str]:
    return [c for cues in by_lang.values() for c in cues]


def _word_count(units: list[Unit]) -> int:
    """Words of the customer's text, @mentions, links and hashtags left out."""
    text = " ".join(u.text for u in units)
    return len([w for w in re.findall(r"[@#]?\w[\w'’-]*", text) if w[0] not in "@#" and not w.startswith("http")])
