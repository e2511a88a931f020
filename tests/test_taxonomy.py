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


def test_journey_rules_follow_a_renamed_or_removed_touchpoint(tmp_path):
    default = Taxonomy.load().journey
    assert (default.brand_post_phase, default.brand_post_touchpoint) == ("awareness", "social_media")
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text("extends: default\ntouchpoints:\n  - id: social\n    rename_from: social_media\n"
                       "  - id: core_offer\n    rename_from: product_service\n")
    rules = Taxonomy.load(renamed).journey
    assert (rules.brand_post_touchpoint, rules.fallback_touchpoint) == ("social", "core_offer")
    removed = tmp_path / "removed.yaml"
    removed.write_text("extends: default\nremove:\n  touchpoints: [social_media, product_service]\n")
    rules = Taxonomy.load(removed).journey
    assert rules.brand_post_phase == "awareness"
    assert rules.brand_post_touchpoint is None and rules.fallback_touchpoint is None


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


def test_statement_rule_with_unknown_phase_is_reported(tmp_path):
    message = _error(tmp_path, (
        "extends: default\n"
        "journey:\n"
        "  statements:\n"
        "    question_only_phases: [consideration]\n"
        "    phase: loyalty\n"
    ))
    assert "journey.statements" in message and "'loyalty'" in message


@pytest.mark.parametrize("rule, named", [
    ("    phase: discovery\n    touchpoint: social_media\n", "'discovery' is not a phase"),
    ("    phase: awareness\n    touchpoint: tiktok\n", "'tiktok' is not a touchpoint"),
])
def test_brand_post_rule_naming_an_unknown_phase_or_touchpoint_is_reported(tmp_path, rule, named):
    message = _error(tmp_path, "extends: default\njourney:\n  brand_post_reaction:\n" + rule)
    assert "journey.brand_post_reaction" in message and named in message
