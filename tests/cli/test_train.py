"""`voc-nlp train journey`: a model from an analyst's own labels, and refusals of bad label files."""

import json
import re
from pathlib import Path

import pytest

from voc_nlp.cli.__main__ import main
from voc_nlp.pipeline import Pipeline

DATA = Path(__file__).parent / "data"
LABELS = DATA / "journey_labels_40.jsonl"
TAXONOMY = DATA / "gift_cards_taxonomy.yaml"
# Texts about the new touchpoint, written apart from the 40 training items.
NEW = ["The gift card I received for Christmas is not accepted on your website.",
       "Ma carte cadeau n'est pas acceptée sur le site, on me dit qu'elle est invalide."]


def test_training_on_40_labelled_items_teaches_a_new_touchpoint(tmp_path):
    untrained = Pipeline.from_config(overrides={"taxonomy": str(TAXONOMY)})
    before = untrained.enrich_texts(NEW)
    # From its one-line description alone, the new touchpoint is missed on at least one text.
    assert not all("gift_cards" in r.touchpoints for r in before), [r.touchpoint_scores["gift_cards"] for r in before]

    out = tmp_path / "my-model"
    assert main(["train", "journey", str(LABELS), "-o", str(out), "--taxonomy", str(TAXONOMY)]) == 0
    assert (out / "config.yaml").exists() and (out / "journey" / "touchpoints" / "head.json").exists()
    # Decisions the file has no labels for (effort, churn) come from the shipped model.
    assert (out / "cx_signals" / "effort" / "head.json").exists()
    # Like every model folder, it says how it was made.
    card = (out / "MODEL_CARD.md").read_text()
    assert f"`{LABELS.resolve()}`, 40 items" in card and "Trained here: phase, touchpoints" in card

    trained = Pipeline.from_config(out / "config.yaml")
    after = trained.enrich_texts(NEW)
    assert all("gift_cards" in r.touchpoints for r in after), [r.touchpoint_scores for r in after]
    # The records say which journey model made them: the folder names are the shipped ones, the digest is not.
    def journey_digest(version):  # ...+journey-<folder>-<8 hex digits of its files>-<learned>+<new>tp+...
        return re.search(r"\+journey-journey-([0-9a-f]{8})-", version).group(1)

    assert journey_digest(after[0].model_version) != journey_digest(untrained.model_version)


@pytest.mark.parametrize("line, expected", [
    ('{"text": "Parcel late", "touchpoints": ["teleportation"]}', "unknown touchpoint 'teleportation'"),
    ('{"lang": "en", "touchpoints": ["delivery"]}', "missing text"),
    ('{"text": "Parcel late", "touchpoints": ["delivery"]', "not a JSON object"),
    ('{"text": "Parcel late", "intent": "rant"}', "unknown intent 'rant'"),
    ('{"text": "Parcel late", "effort": "yes"}', "`effort` must be true or false"),
])
def test_bad_label_files_are_refused_with_file_and_line_and_nothing_is_written(tmp_path, capsys, line, expected):
    labels = tmp_path / "labels.jsonl"
    good = json.dumps({"text": "Delivery was late", "touchpoints": ["delivery"]})
    labels.write_text(good + "\n" + good + "\n" + line + "\n")
    out = tmp_path / "model"
    assert main(["train", "journey", str(labels), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{labels}:3:" in err and expected in err
    assert not out.exists()


def test_an_output_folder_holding_other_files_is_refused_and_left_as_it_was(tmp_path, capsys):
    # The output is replaced as a whole: `-o .` used to delete everything in the current folder.
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    assert main(["train", "journey", str(LABELS), "-o", str(folder), "--taxonomy", str(TAXONOMY)]) == 2
    assert "holds other files than a model `voc-nlp train` wrote" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_an_empty_folder_or_an_earlier_model_may_be_the_output(tmp_path):
    from voc_nlp.cli.train import _check_output

    _check_output(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    _check_output(tmp_path / "empty")
    earlier = tmp_path / "earlier"
    (earlier / "journey").mkdir(parents=True)
    (earlier / "config.yaml").write_text("pipeline: []\n")
    _check_output(earlier)
