"""Rule files: named phrase lists per language, read once by the components, errors as file:line."""

import pytest
import yaml

from voc_nlp.paths import default_config, default_pipeline_dir
from voc_nlp.pipeline import ConfigError, Pipeline
from voc_nlp.rules import RuleFileError, read_phrase_lists


def test_a_lang_path_reads_every_language_folder_that_has_the_file(rule_file, tmp_path):
    path = rule_file("help_requests", {"fr": {"opens": ["comment"], "anywhere": ["svp"]},
                                       "en": {"opens": ["how do i", "can you"]}})
    (tmp_path / "rules" / "de").mkdir()  # a language folder without this rule
    lists = read_phrase_lists(path, "requests.phrases", "x", names=["opens", "anywhere"])
    assert lists["opens"] == {"en": ["how do i", "can you"], "fr": ["comment"]}
    # English has a file without `anywhere`: an empty list, not a fall-back on the French phrases.
    assert lists["anywhere"] == {"fr": ["svp"], "en": []}


def test_a_list_of_paths_adds_phrases_and_a_path_without_lang_is_for_every_language(rule_file, tmp_path):
    shipped = rule_file("swearing", {"en": {"phrases": ["crap"]}, "fr": {"phrases": ["merde*"]}})
    own = tmp_path / "ours.yaml"
    own.write_text("phrases: [frak*, no, null, 1.5]\n", encoding="utf-8")  # words, not a boolean or a number
    lists = read_phrase_lists([shipped, str(own)], "swearing", "x", names=["phrases"])
    assert lists == {"phrases": {"en": ["crap"], "fr": ["merde*"], "any": ["frak*", "no", "null", "1.5"]}}


@pytest.mark.parametrize("text, line, problem", [
    ("# a comment\nphrases: [crap, damn\n", 3, "not valid YAML"),
    ("phrases: crap\n", 1, "`phrases` must be a list of phrases"),
    ("phrases:\n  - crap\n  - {damn: it}\n", 3, "each phrase is a word or words"),
    ("# header\n\nphrase: [crap]\n", 3, "unknown list 'phrase' (this rule reads: phrases)"),
    ("- crap\n", 1, "a rule file is a mapping of list names to phrase lists"),
])
def test_a_malformed_rule_file_is_one_line_naming_file_and_line(tmp_path, text, line, problem):
    path = tmp_path / "rules" / "en" / "swearing.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        read_phrase_lists(str(tmp_path / "rules" / "{lang}" / "swearing.yaml"), "swearing", "x", names=["phrases"])
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: ") and problem in message and "\n" not in message


def test_counted_lists_map_phrases_to_numbers_and_add_up_across_files(rule_file, tmp_path):
    shipped = rule_file("contacts", {"en": {"numbers": {"two": 2, "several": 2}, "phone": ["i called"]}})
    own = tmp_path / "ours.yaml"
    own.write_text("numbers: {several: 3, a dozen: 12}\n", encoding="utf-8")
    lists = read_phrase_lists([shipped, str(own)], "phrases", "x", counts=["numbers"])
    assert lists["numbers"] == {"en": {"two": 2, "several": 2}, "any": {"several": 3, "a dozen": 12}}
    assert lists["phone"] == {"en": ["i called"], "any": []}


def test_a_missing_rule_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no rule file matches .*/\{lang\}/swearing.yaml"):
        read_phrase_lists(str(tmp_path / "{lang}" / "swearing.yaml"), "swearing", "x")
    with pytest.raises(FileNotFoundError, match="rule file not found"):
        read_phrase_lists(str(tmp_path / "ours.yaml"), "swearing", "x")


def _default_config() -> dict:
    return yaml.safe_load(default_config().read_text(encoding="utf-8"))


def test_the_default_config_names_rule_files_and_holds_no_phrase_list():
    config = _default_config()
    sentiment, emotions = config["components"]["sentiment"], config["components"]["emotions"]
    assert sentiment["swearing"] == "rules/{lang}/swearing.yaml"
    assert sentiment["verdicts"] == "rules/{lang}/sentiment_verdicts.yaml"
    assert emotions["requests"] is None  # off by default (scripts/cv_emotions.py); its rule files still ship
    assert emotions["named"] == "rules/{lang}/named_emotions.yaml"
    assert config["components"]["contacts"]["phrases"] == "rules/{lang}/contacts.yaml"
    assert config["components"]["non_purchase"]["phrases"] == "rules/{lang}/non_purchase.yaml"
    shipped = sorted(p.relative_to(default_pipeline_dir()).as_posix()
                     for p in (default_pipeline_dir() / "rules").rglob("*.yaml"))
    assert shipped == [f"rules/{lang}/{name}.yaml" for lang in ("en", "fr")
                       for name in ("contacts", "help_requests", "named_emotions", "non_purchase",
                                                        "sentiment_verdicts", "swearing")]
    for path in (default_pipeline_dir() / "rules").rglob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# "), f"{path}: a header says what the rule does"


def test_a_broken_rule_file_stops_the_pipeline_in_one_line(tmp_path):
    broken = tmp_path / "swearing.yaml"
    broken.write_text("# ours\nphrases: [crap\n", encoding="utf-8")
    config = _default_config()
    config["components"]["sentiment"]["swearing"] = str(broken)
    with pytest.raises(ConfigError) as err:
        Pipeline.from_dict(config, base_dir=default_pipeline_dir())
    assert str(err.value).startswith(f"components.sentiment: {broken}:3: not valid YAML")


@pytest.mark.parametrize("component, key, value, hint", [
    ("sentiment", "swearing", {"en": ["crap"]}, "`swearing: rules/{lang}/swearing.yaml`"),
    ("sentiment", "verdicts", {"positive": {"en": ["no complaints"]}},
     "`verdicts: rules/{lang}/sentiment_verdicts.yaml`"),
    ("emotions", "named", {"worry": {"en": ["worried"]}}, "`named: rules/{lang}/named_emotions.yaml`"),
])
def test_an_old_config_with_phrase_lists_is_refused_with_a_hint(component, key, value, hint):
    config = _default_config()
    config["components"][component][key] = value
    with pytest.raises(ConfigError) as err:
        Pipeline.from_dict(config, base_dir=default_pipeline_dir())
    message = str(err.value)
    assert message.startswith(f"components.{component}: {key}: phrase lists are no longer written in the config")
    assert hint in message and "README" in message


def test_to_disk_copies_the_rule_files_and_the_copy_reads_the_same_phrases(pipeline, rule_file, tmp_path):
    """An analyst's own file beside ours is saved too, and the saved pipeline reads the same rules."""
    import voc_nlp

    own = rule_file("swearing", {"en": {"phrases": ["frak*"]}})  # the same name as ours: kept apart
    config = _default_config()
    config["components"]["sentiment"]["swearing"] = ["rules/{lang}/swearing.yaml", own]
    custom = Pipeline.from_dict(config, base_dir=default_pipeline_dir())
    folder = custom.to_disk(tmp_path / "pipe")
    saved = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))["components"]
    assert saved["sentiment"]["swearing"] == ["rules/{lang}/swearing.yaml", "rules/{lang}/swearing_2.yaml"]
    assert saved["emotions"]["named"] == "rules/{lang}/named_emotions.yaml"
    copy = voc_nlp.load(folder)
    assert [p.relative_to(folder).as_posix() for _, p in copy.rule_files()][:3] == [
        "rules/en/swearing.yaml", "rules/fr/swearing.yaml", "rules/en/swearing_2.yaml"]
    assert ([(lang, p.read_bytes()) for lang, p in copy.rule_files()]
            == [(lang, p.read_bytes()) for lang, p in custom.rule_files()])
    assert copy.rules_sha256() != pipeline.rules_sha256() == voc_nlp.load(pipeline.to_disk(tmp_path / "d")).rules_sha256()
    text = "Can you fix this frakking order form?"
    assert [r.to_dict() for r in copy.enrich_texts([text])] == [r.to_dict() for r in custom.enrich_texts([text])]
    assert copy.provenance()["voc_nlp.rules_sha256"] == custom.rules_sha256()


def test_the_rules_hash_covers_every_components_rule_files(pipeline):
    """Provenance and the --resume key hash the rule files of every component, the rule components' too."""
    from voc_nlp.io.checkpoints import pipeline_fingerprint

    read = sorted({p.relative_to(default_pipeline_dir()).as_posix() for _, p in pipeline.rule_files()})
    # help_requests.yaml ships for analysts who switch the (cross-validated, removed) request rule back on.
    opt_in = {"rules/en/help_requests.yaml", "rules/fr/help_requests.yaml"}
    assert read == sorted(p.relative_to(default_pipeline_dir()).as_posix()
                          for p in (default_pipeline_dir() / "rules").rglob("*.yaml")
                          if p.relative_to(default_pipeline_dir()).as_posix() not in opt_in)
    assert "rules/fr/contacts.yaml" in read and "rules/en/non_purchase.yaml" in read
    assert pipeline_fingerprint(pipeline)["rules_sha256"] == pipeline.rules_sha256()
