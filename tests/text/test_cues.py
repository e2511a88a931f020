"""Cue matching: accent- and case-insensitive, word boundaries, `word*`, per language."""

from voc_nlp.text.cues import LanguageCues, cue_regex, fold, without_leading_mentions


def test_fold_keeps_offsets_and_drops_accents_and_case():
    text = "Très DÉÇU’ du SAV"
    folded = fold(text)
    assert folded == "tres decu' du sav" and len(folded) == len(text)


def test_cues_match_whole_words_and_star_endings():
    cues = LanguageCues({"en": ["ad", "advert*", "customer service"], "fr": ["publicité*", "service client"]})
    assert cues.occurs(fold("Your ad was fun"), "en")
    assert not cues.occurs(fold("I had a bad day"), "en")  # "ad" only as a word
    assert cues.occurs(fold("those adverts again"), "en")
    assert cues.find(fold("customer service never answered"), "en") == [(0, 16)]
    assert cues.occurs(fold("Le SERVICE CLIENT est nul"), "fr")
    # Another language (or none) uses every list.
    assert cues.occurs(fold("publicités mensongères"), None)
    assert not cues.occurs(fold("publicités mensongères"), "en")


def test_matching_only_candidate_cues_gives_the_whole_lists_matches():
    words = ["card", "card declined", "declined", "top up", "top-up", "fee*", "charged twice"]
    cues = LanguageCues({"en": words})
    whole = cue_regex(words)
    for text in ["My card was declined, then charged twice, fees everywhere", "top-up failed", "nothing here"]:
        folded = fold(text)
        assert cues.find(folded, "en") == [m.span() for m in whole.finditer(folded)]


def test_leading_mentions_are_not_first_words():
    assert without_leading_mentions("@united @jfk can you help") == "can you help"
    assert without_leading_mentions(".@americanair: why") == "why"
    assert without_leading_mentions("can you @united") == "can you @united"
