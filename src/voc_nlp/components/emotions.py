"""CX emotions per unit and per item: multi-label, per-label thresholds.

An emotion is expressed by the item when any customer unit expresses it, so
the item score is the maximum over units. `neutral` is given only when no
other emotion passes its threshold.

`milder` maps an emotion to a milder one below a score: in customer feedback
GoEmotions-style "anger" (and "sadness") fires on every firm complaint, while
CX teams keep anger for hostile, escalating customers and call the rest
frustration. With `min_problem_score`, the rule applies only to units whose
problem score (`problems` component) reaches it: a moderate anger in a
problem report is frustration, in a remark about anything else it stays anger.

`requests` keeps the question form of a help request from reading as an
emotion: the model gives confusion to "how do I order a card?" as it does to
"wait, what?". In a unit that opens with a request form ("how do I", "can
you", "je voudrais") or says "please" (`requests.phrases`, a rule file per
language: `configs/rules/<lang>/help_requests.yaml`), the listed emotions
count only when they beat neutral by `margin`.

`named` (a rule file per language, `named_emotions.yaml`) lists, per
emotion, the words that name it ("frustrating", "déçu", "I'm worried", "je
ne comprends pas"): a unit that names an emotion expresses it, whatever the
model's score, and `milder` leaves it as named. A name negated just before
(one of the file's `negations`, or a word ending in n't, among the three
words before it: "not disappointed", "pas déçu", "don't worry") does not
count. The scores stay the model's.

`not_in_complaints` lists emotions that a complaint does not express,
whatever the model reads: in an item (or unit) read with one of
`sentiments` (default: negative) whose problem score reaches
`min_problem_score`, "thanks" is a sign-off ("the app still crashes.
Thanks"), not gratitude, which CX teams keep for thanks that is the point of
the message. With `sentiments: [negative, neutral]` a calm problem report
(neutral by the taxonomy's convention) counts as a complaint too. It reads
the sentiment component's label, so it runs after it.

`lexical` (when the model folder has `lexical.json`): for units in the
languages the lexical head was trained on (English), the embedding head's
scores are combined with word 1-2-gram evidence ("annoying", "ugh", "so
disappointed"; `voc_nlp.lexical`; weight and fusion, mean of probabilities or
of log-odds, stored with it) and read against thresholds tuned for the fused
score. Other languages use the embedding head alone.

Intensity in [0, 1]: how far the strongest expressed emotion's score is above
its own threshold (0 = just expressed, 1 = certain); 0 when neutral. It is
derived from the model's scores, not trained on intensity labels.
"""

from __future__ import annotations

import re

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.components.embed import stack_vectors
from voc_nlp.doc import FeedbackDoc
from voc_nlp.heads import ClassifierHead
from voc_nlp.lexical import LexicalHead
from voc_nlp.registry import components
from voc_nlp.rules import read_phrase_lists, retired_phrase_lists
from voc_nlp.text.cues import LanguageCues, fold


_REQUEST_KEYS = ("emotions", "margin", "phrases")
# Settings of `requests` that held phrase lists before the rule files.
_RETIRED_REQUEST_KEYS = ("opens", "anywhere")


@components.register("emotions")
class EmotionClassifier(Component):
    name = "emotions"
    requires = ("doc.vectors",)
    assigns = ("unit.emotions", "record.emotions", "record.emotion_scores", "record.emotion_intensity")

    def __init__(self, model: str, neutral: str = "neutral", milder: dict | None = None,
                 requests: dict | None = None, named: str | list[str] | None = None, lexical: bool = True,
                 not_in_complaints: dict | None = None, taxonomy=None, views: list[str] | None = None,
                 view: str | None = None, encoder=None):
        self.head = ClassifierHead.load(model)
        # The encoder views the head was trained on, side by side in this order (`base`: the encoder's own
        # vectors; an adapter view, e.g. `affect_emotions`; another encoder's, e.g. `e5_sentiment`).
        # `view`: one view, the older setting.
        if views and view:
            raise ValueError("give `views` (a list) or the older `view`, not both")
        self.views = tuple([views] if isinstance(views, str) else views or [view or "base"])
        if encoder is not None:
            check_views(self.views, encoder, self.head, model)
        self.requires = tuple("doc.vectors" if v == "base" else f"doc.views.{v}" for v in self.views)
        self.labels = self.head.labels
        # Word evidence fused with the head for the languages it was trained on.
        self.lexical = LexicalHead.load(model) if lexical and LexicalHead.present(model) else None
        if self.lexical is not None:
            if self.lexical.labels_ != self.labels:
                raise ValueError(f"{model}: the lexical head's labels {self.lexical.labels_} differ from "
                                 f"the emotion head's {self.labels}; retrain both with `make models`")
            self.fused_thresholds = np.array([self.lexical.thresholds_.get(label, 0.5) for label in self.labels],
                                             dtype=np.float32)
        self.neutral = neutral
        self.milder = {}
        for label, rule in (milder or {}).items():
            if label not in self.labels or rule.get("becomes") not in self.labels:
                raise ValueError(f"emotions.milder: {label!r} -> {rule.get('becomes')!r}: "
                                 f"both must be emotion ids of the model ({', '.join(self.labels)})")
            self.milder[self.labels.index(label)] = (
                float(rule["below"]), rule["becomes"], float(rule.get("min_problem_score", 0.0)))
        if any(rule[2] > 0 for rule in self.milder.values()):
            self.requires = (*self.requires, "doc.problem_scores")
        requests = requests or {}
        for key in requests:
            if key in _RETIRED_REQUEST_KEYS:
                raise retired_phrase_lists(f"requests.{key}", "requests.phrases", "rules/{lang}/help_requests.yaml")
            if key not in _REQUEST_KEYS:
                raise ValueError(f"requests: unknown setting '{key}' (settings: {', '.join(_REQUEST_KEYS)})")
        unknown = [e for e in requests.get("emotions", []) if e not in self.labels]
        if unknown:
            raise ValueError(f"emotions.requests: {', '.join(unknown)} not among the model's emotions "
                             f"({', '.join(self.labels)})")
        self.request_emotions = frozenset(self.labels.index(e) for e in requests.get("emotions", []))
        self.request_margin = float(requests.get("margin", 0.0))
        forms = read_phrase_lists(requests["phrases"], "requests.phrases", "rules/{lang}/help_requests.yaml",
                                  names=["opens", "anywhere"]) if requests.get("phrases") else {}
        self.request_opens = LanguageCues(forms.get("opens") or {})
        self.request_anywhere = LanguageCues(forms.get("anywhere") or {})
        names = read_phrase_lists(named, "named", "rules/{lang}/named_emotions.yaml",
                                  names=[*(e for e in self.labels if e != neutral), "negations"]) if named else {}
        # Words that, among the three before an emotion's name, deny it ("not disappointed", "pas déçu"):
        # every language's, as customers mix them.
        self.negations = frozenset(fold(w) for words in names.pop("negations", {}).values() for w in words)
        self.named = {self.labels.index(e): LanguageCues(cues) for e, cues in names.items()}
        if self.lexical is not None or self.named or self.request_emotions:
            # They read the normalised unit texts: "#SoDisappointed" as "so disappointed".
            self.requires = (*self.requires, "doc.unit_inputs")
        complaints = not_in_complaints or {}
        unknown = [e for e in complaints.get("emotions", []) if e not in self.labels or e == neutral]
        if unknown:
            raise ValueError(f"emotions.not_in_complaints: {', '.join(unknown)} not among the model's emotions "
                             f"({', '.join(l for l in self.labels if l != neutral)})")
        self.not_in_complaints = frozenset(self.labels.index(e) for e in complaints.get("emotions", []))
        self.complaint_min_problem = float(complaints.get("min_problem_score", 0.0))
        self.negative = taxonomy.negative if taxonomy is not None else "negative"
        self.complaint_sentiments = frozenset(complaints.get("sentiments") or [self.negative])
        if self.not_in_complaints:
            self.requires = (*self.requires, "record.sentiment", "doc.problem_scores")
        self.thresholds = self.head.threshold_vector()
        self._emotion_mask = np.array([label != neutral for label in self.labels])

    @property
    def version(self) -> str:
        return f"emotions-{self.head.metadata.get('version', 'dev')}"

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        matrix, counts = stack_vectors(live, self.head.layers[0][0].shape[1], self.views)
        probs = self.head.predict_proba(matrix) if len(matrix) else matrix
        # The word head reads the units of all the docs it is fused for in one call (same rows).
        fused = [k for k, (doc, n) in enumerate(zip(live, counts))
                 if n and self.lexical is not None and self.lexical.applies_to(doc.record.lang)]
        words = dict(zip(fused, self.lexical.predict_proba_each([live[k].unit_inputs for k in fused])
                         if fused else []))
        offset = 0
        for k, (doc, n) in enumerate(zip(live, counts)):
            doc_probs, thresholds = probs[offset : offset + n], self.thresholds
            if k in words:
                doc_probs = self.lexical.fuse(doc_probs, words[k])
                thresholds = self.fused_thresholds
            self._assign(doc, doc_probs, thresholds)
            offset += n

    def is_request(self, text: str, lang: str | None) -> bool:
        """Whether a unit is a help request ("how do I ...", "can you ...", "... please")."""
        return self._is_request(fold(text), lang)

    def _is_request(self, folded: str, lang: str | None) -> bool:
        if not self.request_emotions:
            return False
        return self.request_opens.opens(folded, lang) or self.request_anywhere.occurs(folded, lang)

    def names(self, text: str, lang: str | None) -> frozenset[int]:
        """Emotions (indices) the text names, not negated just before ("pas déçu")."""
        return self._names(fold(text), lang)

    def _names(self, folded: str, lang: str | None) -> frozenset[int]:
        if not self.named:
            return frozenset()
        found = set()
        for i, cues in self.named.items():
            for start, _ in cues.find(folded, lang):
                before = re.findall(r"[\w']+", folded[max(0, start - 30):start])[-3:]
                if not any(w in self.negations or w.endswith("n't") for w in before):
                    found.add(i)
                    break
        return frozenset(found)

    def _decide(self, scores: np.ndarray, problem_score: float = 1.0,
                in_request: frozenset[int] = frozenset(), named: frozenset[int] = frozenset(),
                thresholds: np.ndarray | None = None, negative: bool = False) -> list[str]:
        """`in_request`: emotions (indices) whose score comes from a help request;
        `named`: emotions the text names; `thresholds`: per label (default: the head's);
        `negative`: the text's sentiment is negative (with `problem_score`: a complaint)."""
        thresholds = self.thresholds if thresholds is None else thresholds
        passed = (scores >= thresholds) & self._emotion_mask
        if in_request and self.neutral in self.labels:
            neutral = scores[self.labels.index(self.neutral)]
            for i in in_request:
                passed[i] &= scores[i] >= neutral + self.request_margin
        read = passed.copy()  # what the model reads, before named emotions
        for i in named:
            passed[i] = True
        if negative and problem_score >= self.complaint_min_problem:
            for i in self.not_in_complaints:
                passed[i] = False
        order = np.argsort(-scores, kind="stable")
        chosen = []
        for i in order:
            if not passed[i]:
                continue
            labels = [self.labels[i]]
            if i in self.milder and read[i]:
                below, becomes, min_problem = self.milder[i]
                if scores[i] < below and problem_score >= min_problem:
                    # A named emotion stays; the model's moderate reading of it
                    # is the milder one ("unacceptable!!" names anger, and the
                    # complaint reads as frustration too).
                    labels = [self.labels[i], becomes] if i in named else [becomes]
            for label in labels:
                if label not in chosen:
                    chosen.append(label)
        return chosen or [self.neutral]

    def _intensity(self, scores: np.ndarray, thresholds: np.ndarray) -> float:
        above = (scores - thresholds) / np.maximum(1.0 - thresholds, 1e-6)
        above = np.where(self._emotion_mask, above, 0.0)
        return round(float(np.clip(above.max(initial=0.0), 0.0, 1.0)), 4)

    def _scores(self, scores: np.ndarray) -> dict[str, float]:
        return {label: round(float(v), 4) for label, v in zip(self.labels, scores)}

    def _assign(self, doc: FeedbackDoc, probs: np.ndarray, thresholds: np.ndarray) -> None:
        units = doc.scored_units
        problem = doc.problem_scores if doc.problem_scores is not None else np.ones(len(units))
        lang = doc.record.lang
        folded = [fold(t) for t in doc.scored_texts]
        request = [self._is_request(f, lang) for f in folded]
        named = [self._names(f, lang) for f in folded]
        for unit, p, problem_score, asks, names in zip(units, probs, problem, request, named):
            unit.emotions = self._decide(p, problem_score, self.request_emotions if asks else frozenset(), names,
                                         thresholds, negative=unit.sentiment in self.complaint_sentiments)
            unit.emotion_scores = self._scores(p)
        if not units:
            return
        item = probs.max(axis=0)
        if self.neutral in self.labels:
            # Neutral for the item only as far as every unit is neutral.
            k = self.labels.index(self.neutral)
            item[k] = probs[:, k].min()
        # An item emotion is read in the unit that gives it its score.
        in_request = frozenset(i for i in self.request_emotions if request[int(probs[:, i].argmax())])
        doc.record.emotions = self._decide(item, float(problem.max()), in_request, frozenset().union(*named),
                                           thresholds, negative=doc.record.sentiment in self.complaint_sentiments)
        doc.record.emotion_scores = self._scores(item)
        doc.record.emotion_intensity = self._intensity(item, thresholds)


def check_views(views: tuple[str, ...], encoder, head: ClassifierHead, model: str) -> None:
    """At build: every view is one the encoder writes, and the head was trained over these views."""
    for v in views:
        if v != "base" and v not in encoder.views:
            raise ValueError(f"views: the encoder writes no view {v!r} (it writes: "
                             f"{', '.join(('base',) + tuple(encoder.views))}); a view is an adapter under "
                             "encoder.adapters or another encoder under encoder.extra_views")
    dim = sum(encoder.view(v).dim for v in views)
    if dim != head.layers[0][0].shape[1]:
        raise ValueError(f"views {'+'.join(views)} give {dim}-d vectors, the head in {model} reads "
                         f"{head.layers[0][0].shape[1]}-d ones: give the views it was trained over "
                         f"(encoder: {head.encoder}) or retrain it (scripts/train_heads.py --only emotions)")
