"""`voc-nlp enrich --topics`: fit on a batch, save, assign the next batch, topics table."""

import json
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest

from voc_nlp.cli.__main__ import main

from ..topics.fixtures import NEW_BATCH, THEMES

FAST = ["--quiet"]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """Three written themes; the app-crash theme appears only in March (emerging)."""
    rows, n = [], 0
    for theme, items in THEMES.items():
        for k, text in enumerate(items):
            month = "2026-03" if theme == "app_crash" else ("2026-02" if k % 2 else "2026-01")
            rows.append({"id": f"{theme}-{k}", "date": f"{month}-1{k % 9}", "text": text})
            n += 1
    rows.append({"id": "praise", "date": "2026-03-02", "text": "Great shop, friendly staff, thank you!"})
    path = tmp_path_factory.mktemp("topics") / "export.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def first_run(export, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("run1")
    out = out_dir / "march.parquet"
    model = out_dir / "model"
    config = out_dir / "small.yaml"
    # Same pipeline as the default; topic parameters for a 45-item batch.
    from voc_nlp.pipeline import DEFAULT_CONFIG
    import yaml

    cfg = yaml.safe_load(DEFAULT_CONFIG.read_text())
    cfg["taxonomy"] = str(DEFAULT_CONFIG.parent / cfg.get("taxonomy", "taxonomy.yaml"))
    def resolve(path):
        return str((DEFAULT_CONFIG.parent / path).resolve())

    for name, settings in cfg["components"].items():
        for key in ("model", "lexical", "rules"):
            if isinstance(settings.get(key), str):
                settings[key] = resolve(settings[key])
        if "models" in settings:
            settings["models"] = {view: resolve(path) for view, path in settings["models"].items()}
    cfg["encoder"]["adapters"] = {view: resolve(path) for view, path in cfg["encoder"]["adapters"].items()}
    cfg["topics"]["space"] = str((DEFAULT_CONFIG.parent / cfg["topics"]["space"]).resolve())
    cfg["topics"].update({"n_neighbors": 10, "min_cluster_size": 4, "min_samples": 2})
    config.write_text(yaml.safe_dump(cfg))
    code = main(["enrich", str(export), "-o", str(out), "--config", str(config), "--topics",
                 "--save-topic-model", str(model), *FAST])
    assert code == 0
    return out, model, config


def test_every_pain_point_item_gets_a_theme_topic(first_run):
    out, _, _ = first_run
    table = pq.read_table(out).to_pandas()
    assert len(table) == 46  # one row per input row, order kept
    assert table["id"].iloc[-1] == "praise"
    praise = table.iloc[-1]
    assert not praise["pain_point"] and pd.isna(praise["topic_id"])  # not clustered
    pains = table[table["pain_point"] == True]  # noqa: E712
    assert len(pains) >= 40
    assert (pains["topic_id"] == -1).mean() <= 0.10
    for theme in THEMES:
        ids = pains[pains["id"].str.startswith(theme)]["topic_id"]
        assert ids.value_counts(normalize=True).iloc[0] >= 0.8, (theme, ids.tolist())
    assigned = pains[pains["topic_id"] >= 0].iloc[0]
    assert assigned["topic_label"] and len(assigned["topic_keywords"]) > 0
    assert [bool(u["pain_point"]) for u in table["units"][0]] == [True]


def test_topics_table_with_periods_and_emerging_flag(first_run):
    out, _, _ = first_run
    summary = json.loads(out.with_name("march.topics.json").read_text())
    assert summary["topics_on"] == "pain_points" and summary["period"] == "month"
    assert summary["unassigned_unit_share"] <= 0.10
    table = pq.read_table(out).to_pandas()
    crash_topic = table[table["id"].str.startswith("app_crash")]["topic_id"].mode()[0]
    delivery_topic = table[table["id"].str.startswith("late_delivery")]["topic_id"].mode()[0]
    by_id = {t["topic_id"]: t for t in summary["topics"]}
    crash, delivery = by_id[crash_topic], by_id[delivery_topic]
    assert crash["emerging"] is True and delivery["emerging"] is False
    assert set(crash["per_period"]) == {"2026-03"}
    assert set(delivery["per_period"]) == {"2026-01", "2026-02"}
    assert len(crash["quotes"]) == 3 and crash["label"] and crash["keywords"]
    assert "touchpoints" in crash and "phases" in crash
    flat = pd.read_csv(out.with_name("march.topics.csv"))
    assert {"topic_id", "label", "items", "share", "emerging", "count_2026-03"} <= set(flat.columns)


def test_saved_model_assigns_a_new_batch(first_run, tmp_path, capsys):
    out, model, config = first_run
    assert (model / "topics.json").exists() and (model / "topics.safetensors").exists()
    rows = [{"id": f"{theme}-new{k}", "text": t} for theme, items in NEW_BATCH.items() for k, t in enumerate(items)]
    path = tmp_path / "april.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out2 = tmp_path / "april.jsonl.out.jsonl"
    capsys.readouterr()
    assert main(["enrich", str(path), "-o", str(out2), "--config", str(config),
                 "--topic-model", str(model)]) == 0
    # The summary times enrichment and topics apart (rows/s is the enrichment's).
    line = next(x for x in capsys.readouterr().err.splitlines() if "rows in" in x)
    assert re.search(r"\d+ rows/s, then topics \d+\.\d s ->", line), line
    new = {json.loads(line)["id"]: json.loads(line) for line in out2.read_text().splitlines()}
    old = pq.read_table(out).to_pandas()
    for theme in NEW_BATCH:
        expected = old[old["id"].str.startswith(theme)]["topic_id"].mode()[0]
        got = [r["topic_id"] for i, r in new.items() if i.startswith(theme)]
        assert got == [expected] * len(got), theme
    summary = json.loads(out2.with_name("april.jsonl.out.topics.json").read_text())
    assert summary["model"] == str(model)


def test_same_batch_same_topics(first_run, export, tmp_path):
    out, _, config = first_run
    again = tmp_path / "again.parquet"
    assert main(["enrich", str(export), "-o", str(again), "--config", str(config), "--topics", *FAST]) == 0
    a = pq.read_table(out).to_pandas()
    b = pq.read_table(again).to_pandas()
    assert a["topic_id"].fillna(-9).tolist() == b["topic_id"].fillna(-9).tolist()
    assert a["topic_label"].fillna("").tolist() == b["topic_label"].fillna("").tolist()


def test_conflicting_topic_flags_are_a_clear_error(export, tmp_path, capsys):
    code = main(["enrich", str(export), "-o", str(tmp_path / "o.parquet"), "--topic-model", "m",
                 "--save-topic-model", "n", *FAST])
    assert code == 2
    assert "topic" in capsys.readouterr().err
