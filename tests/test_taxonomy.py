"""The taxonomy file: the default one, extending it, and clear errors for broken files."""

import pytest

from voc_nlp.taxonomy import Taxonomy, TaxonomyError

SPEC_PHASES = ["awareness", "consideration", "purchase", "retention", "advocacy", "unknown"]


def test_default_taxonomy_has_the_spec_phases_touchpoints_and_stages():
    tax = Taxonomy.load()
    assert tax.phase_ids == SPEC_PHASES
    assert len(tax.touchpoint_ids) == 24
    assert {"delivery", "customer_support", "call_center", "product_service"} <= set(tax.touchpoint_ids)
    assert tax.touchpoint("delivery").phase == "retention"
    assert tax.touchpoint("checkout_payment").phase == "purchase"
    assert tax.stage_of("consideration") == "before_purchase"
    assert tax.stage_of("purchase") == "during_purchase"
    assert tax.stage_of("advocacy") == "after_purchase"
    for tp in tax.touchpoints:
        assert tp.en and tp.fr and tp.description
        for lang in ("en", "fr"):
            assert 5 <= len(tp.examples[lang]) <= 15, (tp.id, lang)
    # The sentiment and emotion sections are still there.
    assert tax.sentiment_labels == ["negative", "neutral", "positive"]
    assert "frustration" in tax.emotion_ids


def test_extends_default_adds_renames_and_removes(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "extends: default\n"
        "remove:\n"
        "  touchpoints: [surveys_follow_up]\n"
        "touchpoints:\n"
        "  - id: parking\n"
        "    en: Parking\n"
        "    phase: retention\n"
        "    examples: [no parking space, the car park was full]\n"
        "  - id: branch\n"
        "    rename_from: store\n"
        "  - id: delivery\n"
        "    phase: purchase\n"
    )
    tax = Taxonomy.load(path)
    ids = tax.touchpoint_ids
    assert "parking" in ids and "surveys_follow_up" not in ids
    assert "branch" in ids and "store" not in ids
    assert tax.touchpoint("branch").examples == Taxonomy.load().touchpoint("store").examples
    assert tax.touchpoint("delivery").phase == "purchase"
    assert tax.touchpoint("delivery").examples  # inherited fields stay
    assert tax.phase_ids == SPEC_PHASES


def _error(tmp_path, text: str) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(TaxonomyError) as info:
        Taxonomy.load(path)
    return str(info.value)


def test_yaml_syntax_error_names_the_line(tmp_path):
    message = _error(tmp_path, "extends: default\ntouchpoints:\n  - id: parking\n    phase: [retention\n")
    assert "broken.yaml:" in message and "not valid YAML" in message
    line = int(message.split("broken.yaml:")[1].split(":")[0])
    assert line in (4, 5)


def test_unknown_default_phase_names_the_line_and_the_phase(tmp_path):
    message = _error(tmp_path, (
        "extends: default\n"
        "touchpoints:\n"
        "  - id: parking\n"
        "    phase: retention\n"
        "    examples: [no parking space]\n"
        "  - id: valet\n"
        "    phase: arrival\n"
        "    description: valet service at the hotel entrance\n"
    ))
    assert "broken.yaml:6:" in message
    assert "valet" in message and "unknown default phase 'arrival'" in message


def test_duplicate_and_missing_ids_name_the_line(tmp_path):
    message = _error(tmp_path, (
        "extends: default\n"
        "touchpoints:\n"
        "  - id: parking\n"
        "    phase: retention\n"
        "    examples: [no parking space]\n"
        "  - id: parking\n"
        "    phase: retention\n"
        "    examples: [car park full]\n"
    ))
    assert "broken.yaml:6:" in message and "duplicate touchpoint id 'parking'" in message

    # In a full file too.
    full = Taxonomy.load().source
    text = open(full).read().replace("  - id: email\n", "  - id: billing\n", 1)
    message = _error(tmp_path, text)
    assert "duplicate touchpoint id 'billing'" in message
    line = int(message.split("broken.yaml:")[1].split(":")[0])
    assert text.splitlines()[line - 1].strip() == "- id: billing"

    message = _error(tmp_path, "extends: default\ntouchpoints:\n  - en: Parking\n    phase: retention\n")
    assert "broken.yaml:3:" in message and "without an `id`" in message


def test_unknown_field_is_reported(tmp_path):
    message = _error(tmp_path, "extends: default\ntouchpoints:\n  - id: parking\n    phase: retention\n    exemples: [x]\n")
    assert "broken.yaml:5:" in message and "exemples" in message


@pytest.mark.parametrize("text, line, named", [
    ("extends: default\njourney:\n  problem_cues:\n    en: [late]\n", 3, "unknown journey key 'problem_cues'"),
    ("extends: default\ntouchpoints:\n  - id: parking\n    phase: retention\n    cues: [parking]\n", 5,
     "unknown field 'cues'"),
])
def test_rules_of_the_hand_tuned_tagger_are_refused_with_a_hint(tmp_path, text, line, named):
    message = _error(tmp_path, text)
    assert f"broken.yaml:{line}:" in message and named in message and "voc-nlp train journey" in message
