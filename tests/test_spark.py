"""voc_nlp.spark and `voc-nlp spark-enrich` on Spark local[2], loopback only.

1,000 generated English and French rows (scripts/bench_spark.py's
`feedback_rows`) give the same records on Spark as in-process. Marked slow
(JVM start and one pipeline load per Python worker: about a minute or two on
two cores) but run by `make test`; skipped only when pyspark is not installed.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"

# pyspark 4.3 warns that it does not fully support pandas 3 (the lock's); what
# these tests use works, as they check.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

ROOT = Path(__file__).resolve().parent.parent
ROWS = 1000


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_spark", ROOT / "scripts" / "bench_spark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench_module()


def test_missing_pyspark_names_the_extra(monkeypatch):
    from voc_nlp import spark as voc_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    with pytest.raises(ImportError, match=r"\[spark\] extra: `make install`"):
        voc_spark.require_pyspark()


def test_a_type_spark_lacks_would_be_json_text():
    pytest.importorskip("pyspark", reason="pyspark is not installed (the [spark] extra: make install includes it)")
    import pyarrow as pa

    from voc_nlp.spark import _spark_type

    assert _spark_type(pa.map_(pa.string(), pa.float32())).simpleString() == "map<string,float>"
    assert _spark_type(pa.list_(pa.decimal128(5, 2))) is None  # -> a JSON string column


def test_cli_refuses_an_output_folder_holding_other_files(tmp_path, capsys):
    # Spark's overwrite empties the output folder: `-o exports/` would delete the exports.
    pytest.importorskip("pyspark", reason="pyspark is not installed (the [spark] extra: make install includes it)")
    from voc_nlp.cli.__main__ import main

    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "reviews.csv").write_text("text\nParcel late\n")
    assert main(["spark-enrich", str(folder / "reviews.csv"), "-o", str(folder), "--quiet"]) == 2
    assert "holds other files than an earlier Parquet output" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["reviews.csv"]


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed (the [spark] extra: make install includes it)")
    from voc_nlp.spark import local_session

    session = local_session("local[2]", app_name="voc-nlp tests")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def rows():
    return bench.feedback_rows(ROWS)


@pytest.mark.slow
def test_schema_is_the_arrow_schema(spark):
    from voc_nlp.schema import ARROW_SCHEMA
    from voc_nlp.spark import json_columns, spark_schema

    schema = spark_schema()
    assert schema.names == ARROW_SCHEMA.names
    assert json_columns() == ()  # every column maps to a Spark type
    assert schema["sentiment_probs"].dataType.simpleString() == "map<string,float>"
    assert schema["units"].dataType.elementType["emotions"].dataType.simpleString() == "array<string>"


@pytest.mark.slow
def test_spark_enrich_gives_the_in_process_records(spark, rows, pipeline, tmp_path):
    import pandas as pd
    import pyarrow.dataset as ds

    from voc_nlp import spark as voc_spark

    frame = pd.DataFrame(rows)
    spark_df = spark.createDataFrame(frame, schema="id string, text string, created_at string, "
                                                   "channel string, rating string").repartition(2)
    records = voc_spark.enrich(spark_df, text_col="text", id_col="id", time_col="created_at",
                               channel_col="channel", rating_col="rating", batch_size=200)
    records.write.parquet(str(tmp_path / "out"))
    got = ds.dataset(tmp_path / "out", format="parquet").to_table().to_pylist()
    expected = pipeline.enrich(frame)

    assert len(got) == ROWS
    by_id = {r["id"]: r for r in got}
    assert set(by_id) == set(expected["id"])
    mismatches = []
    for row in expected.to_dict("records"):
        other = by_id[row["id"]]
        for name in ("sentiment", "touchpoints", "phase", "intent", "emotions", "pain_point",
                     "error", "created_at", "rating", "channel", "lang"):
            if _value(row[name]) != _value(other[name]):
                mismatches.append((row["id"], name, row[name], other[name]))
        assert other["sentiment_score"] == pytest.approx(row["sentiment_score"], abs=1e-5)
    assert not mismatches, mismatches[:5]
    assert len({r["sentiment"] for r in got}) == 3  # the data is not all one label
    assert {r["lang"] for r in got} == {"en", "fr"}


def _value(value):
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.slow
def test_cli_writes_the_records_enrich_writes(spark, rows, tmp_path):
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from voc_nlp.cli.__main__ import main

    data = bench.write_csv(rows, tmp_path / "feedback.csv")
    out = tmp_path / "spark_out"
    assert main(["spark-enrich", str(data), "-o", str(out), "--master", "local[2]", "--quiet"]) == 0
    assert main(["enrich", str(data), "-o", str(tmp_path / "cli.parquet"), "--quiet"]) == 0

    files = sorted(out.glob("*.parquet"))
    assert files and (out / "_SUCCESS").exists()
    table = ds.dataset(out, format="parquet").to_table()
    expected = pq.read_table(tmp_path / "cli.parquet")
    assert table.schema.names == expected.schema.names
    assert table.schema.field("created_at").type == expected.schema.field("created_at").type
    got = table.to_pylist()
    assert [r["id"] for r in got] == [r["id"] for r in expected.to_pylist()]  # input order kept
    assert bench.compare(expected.to_pylist(), got) == []
    assert not list(tmp_path.glob("spark_out.voc-staging-*"))  # staging folder removed
    from voc_nlp.io.writers import read_metadata

    meta, cli_meta = read_metadata(str(out / "*.parquet")), read_metadata(str(tmp_path / "cli.parquet"))
    for key in ("voc_nlp.model_version", "voc_nlp.schema_version", "voc_nlp.taxonomy_sha256"):
        assert meta[key] == cli_meta[key]


@pytest.mark.slow
def test_cli_bad_input_fails_in_one_line(spark, tmp_path, capsys):
    from voc_nlp.cli.__main__ import main

    assert main(["spark-enrich", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "out")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_a_worker_builds_the_profile_it_is_given():
    """The workers apply a profile as `Pipeline.from_config` does, from a config file or a config dict."""
    import yaml

    from voc_nlp import spark
    from voc_nlp.paths import default_config, default_pipeline_dir

    from_file = spark.worker_pipeline(spark.pipeline_settings(str(default_config()), {"profile": "accurate"}))
    raw = yaml.safe_load(default_config().read_text())
    from_dict = spark.worker_pipeline(spark.pipeline_settings(raw, {"profile": "accurate"},
                                                              base_dir=default_pipeline_dir()))
    default = spark.worker_pipeline(spark.pipeline_settings(raw, None, base_dir=default_pipeline_dir()))
    assert set(from_file.config["encoder"]["extra_views"]) == {"e5_sentiment"}
    assert from_dict.config["encoder"]["extra_views"] == from_file.config["encoder"]["extra_views"]
    assert from_dict.provenance()["voc_nlp.profile"] == "accurate"
    assert default.provenance()["voc_nlp.profile"] == "fast"
