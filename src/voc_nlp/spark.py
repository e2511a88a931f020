"""voc-nlp on Spark: enrich a Spark DataFrame, one pipeline per Python worker.

    from voc_nlp import spark as voc_spark
    records = voc_spark.enrich(df, text_col="body", id_col="ticket_id")
    records.write.parquet("enriched/")

Needs the `[spark]` extra (`make install`, or `pip install 'PATH[spark]'` with the wheel) on the driver and,
with the project's models, on every executor (see docs/deployment.md, "On a cluster").

How it runs:

- `enrich` is a `mapInPandas` over the input: each Python worker process
  builds the pipeline once, on its first batch, and keeps it in a module-level
  cache keyed by the config, so later tasks run by the same worker (Spark
  reuses Python workers by default) do not load the models again.
- The config travels as a broadcast variable: None (the default pipeline,
  each executor resolves its own installed copy), a dict, or a path read on
  the driver into a dict (relative model paths then resolve against the
  config's folder, which must exist at the same path on the executors).
- Each batch goes through the same row building as `Pipeline.enrich`
  (column detection or the names given, ids, dates, ratings, errors), then
  the pipeline; the records come out with `SPARK_SCHEMA`, the project's Arrow
  schema (`voc_nlp.schema.ARROW_SCHEMA`) as Spark types: maps as MapType,
  lists as ArrayType, units and touchpoint evidence as arrays of structs,
  `created_at` as TimestampType, float32 scores as FloatType. Every column of
  the schema maps to a Spark type today; a type added later that did not
  would be carried as a JSON string (StringType), listed in `JSON_COLUMNS`.
- Rows without an id get a generated one from the partition number and the
  row's position in its partition (stable for the same input partitioning);
  give an id column for ids that do not depend on partitioning.
- Rows stay in their partition and in order; parallelism is the input's
  partitioning (`df.repartition(n)` first for more tasks).

The encoder's threads default to 1 per worker: Spark runs one task per core.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa

from voc_nlp.schema import ARROW_SCHEMA

# voc-nlp is not on PyPI: the extra comes with the wheel or the project folder.
INSTALL_HINT = ("install voc-nlp with its [spark] extra: `make install` does; elsewhere "
                "pip install 'PATH[spark]', PATH the voc-nlp wheel or project folder")

# Python workers' pipelines, by config key: loaded once per worker process.
_PIPELINES: dict[str, Any] = {}


def require_pyspark():
    """The pyspark module, or an ImportError saying how to install it."""
    try:
        import pyspark
    except ImportError:
        raise ImportError(
            f"voc_nlp.spark needs pyspark, which is not installed: {INSTALL_HINT}"
        ) from None
    return pyspark


# --------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------


def _spark_type(arrow_type: pa.DataType):
    """The Spark type of an Arrow type, or None when there is none."""
    from pyspark.sql import types as T

    simple = [
        (pa.types.is_string, T.StringType), (pa.types.is_large_string, T.StringType),
        (pa.types.is_boolean, T.BooleanType), (pa.types.is_float32, T.FloatType),
        (pa.types.is_float64, T.DoubleType), (pa.types.is_int32, T.IntegerType),
        (pa.types.is_int64, T.LongType), (pa.types.is_timestamp, T.TimestampType),
    ]
    for test, spark_type in simple:
        if test(arrow_type):
            return spark_type()
    if pa.types.is_map(arrow_type):
        key, item = _spark_type(arrow_type.key_type), _spark_type(arrow_type.item_type)
        return None if key is None or item is None else T.MapType(key, item, True)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        item = _spark_type(arrow_type.value_type)
        return None if item is None else T.ArrayType(item, True)
    if pa.types.is_struct(arrow_type):
        children = [(f.name, _spark_type(f.type)) for f in arrow_type]
        if any(t is None for _, t in children):
            return None
        return T.StructType([T.StructField(name, t, True) for name, t in children])
    return None


def _build_schema():
    from pyspark.sql import types as T

    fields, as_json = [], []
    for f in ARROW_SCHEMA:
        spark_type = _spark_type(f.type)
        if spark_type is None:
            as_json.append(f.name)
            spark_type = T.StringType()
        fields.append(T.StructField(f.name, spark_type, True))
    return T.StructType(fields), tuple(as_json)


def spark_schema():
    """The Spark schema of enriched records (ARROW_SCHEMA, column for column)."""
    require_pyspark()
    return _build_schema()[0]


def json_columns() -> tuple[str, ...]:
    """Columns whose Arrow type has no Spark equivalent, carried as JSON text (none today)."""
    require_pyspark()
    return _build_schema()[1]


# --------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------


def enrich(
    spark_df,
    text_col: str | None = "text",
    id_col: str | None = None,
    time_col: str | None = None,
    channel_col: str | None = None,
    rating_col: str | None = None,
    nps_col: str | None = None,
    csat_col: str | None = None,
    lang_col: str | None = None,
    turns_col: str | None = None,
    config: str | Path | dict | None = None,
    overrides: dict | None = None,
    threads: int | None = 1,
    batch_size: int | None = None,
    base_dir: str | Path | None = None,
):
    """Enriched records of a Spark DataFrame, as a Spark DataFrame (`spark_schema()`).

    Columns are named as in `voc-nlp enrich --text-col ...`; a None column is
    auto-detected from common names, as the CLI does (`text_col=None` too).
    `config`: None (the default pipeline), a config file or pipeline folder
    (read on the driver), or a config dict (relative paths resolve against
    `base_dir`, default the current folder). `overrides` are merged into the
    config's top level as in `Pipeline.from_config`; `threads` sets the
    encoder threads per worker (None: the config's). `batch_size` is the rows
    enriched at a time (default: the config's `input.chunk_size`, 1000).
    Lazy, as any Spark transformation: nothing runs until an action.
    """
    require_pyspark()
    from voc_nlp.io.columns import ColumnMap

    columns = ColumnMap(text=text_col, id=id_col, time=time_col, channel=channel_col,
                        rating=rating_col, nps=nps_col, csat=csat_col, lang=lang_col, turns=turns_col)
    # Fail on the driver, at once, for a column that is not there.
    from voc_nlp.io.columns import resolve_columns

    resolve_columns(list(spark_df.columns), columns, "<spark dataframe>")
    return _map(spark_df, config, overrides, threads, batch_size, base_dir,
                {"mode": "frame", "columns": {f.name: getattr(columns, f.name)
                                              for f in dataclass_fields(ColumnMap)}})


def _enrich_canonical(spark_df, config=None, overrides=None, threads=1, batch_size=None):
    """Enrich rows that are already canonical (as `io.read_feedback` yields
    them, turns as JSON text): what `voc-nlp spark-enrich` stages its input as."""
    return _map(spark_df, config, overrides, threads, batch_size, None, {"mode": "canonical"})


def _map(spark_df, config, overrides, threads, batch_size, base_dir, how: dict):
    settings = pipeline_settings(config, overrides, threads, base_dir)
    session = spark_df.sparkSession
    shared = session.sparkContext.broadcast(settings)
    schema, as_json = _build_schema()
    how = {**how, "batch_size": batch_size, "time_zone": session.conf.get("spark.sql.session.timeZone"),
           "json_columns": as_json}
    return spark_df.mapInPandas(_partition_function(shared, how), schema)


def pipeline_settings(config=None, overrides=None, threads=1, base_dir=None) -> dict:
    """What the workers build their pipeline from (broadcast; also the cache key)."""
    overrides = json.loads(json.dumps(overrides or {}))
    if threads:
        overrides.setdefault("encoder", {})["threads"] = int(threads)
    if config is None:
        return {"config": None, "base_dir": None, "overrides": overrides}
    if isinstance(config, dict):
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
        return {"config": config, "base_dir": str(folder.resolve()), "overrides": overrides}
    import yaml

    from voc_nlp.pipeline import config_path

    path = config_path(config).resolve()
    return {"config": yaml.safe_load(path.read_text()) or {}, "base_dir": str(path.parent),
            "overrides": overrides}


def provenance(session, config=None, overrides=None, threads: int | None = 1, base_dir=None) -> dict[str, str]:
    """`Pipeline.provenance()` of the pipeline the workers build for these
    arguments (as `enrich` takes them), computed in a worker: the driver loads
    no model. The worker keeps the pipeline for the tasks that follow."""
    require_pyspark()
    settings = pipeline_settings(config, overrides, threads, base_dir)
    return (session.sparkContext.parallelize([0], 1)
            .map(lambda _: worker_pipeline(settings).provenance()).collect()[0])


def add_parquet_metadata(folder: str, metadata: dict[str, str]) -> int:
    """Add `metadata` to the key-value metadata of every Parquet file in a
    local `folder` (Spark cannot write its own), each file rewritten to a
    temporary file renamed over it; returns the files changed. `voc-nlp
    report 'OUTPUT_DIR/*.parquet'` then finds the taxonomy as for `enrich`."""
    import glob
    import os

    import pyarrow.parquet as pq

    files = sorted(glob.glob(os.path.join(glob.escape(folder), "*.parquet")))
    for path in files:
        table = pq.read_table(path)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               **{k.encode(): v.encode() for k, v in metadata.items()}})
        temp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
        pq.write_table(table, temp, compression="zstd")
        os.replace(temp, path)
        # Hadoop's local checksum of the old file would fail Spark's next read.
        crc = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.crc")
        if os.path.exists(crc):
            os.remove(crc)
    return len(files)


def worker_pipeline(settings: dict):
    """This process's pipeline for `settings`, built on first use."""
    key = json.dumps(settings, sort_keys=True, default=str)
    pipe = _PIPELINES.get(key)
    if pipe is None:
        from voc_nlp.pipeline import Pipeline, with_overrides

        if settings["config"] is None:
            pipe = Pipeline.from_config(None, overrides=settings["overrides"])
        else:
            config = with_overrides(json.loads(json.dumps(settings["config"])), settings["overrides"])
            pipe = Pipeline.from_dict(config, base_dir=Path(settings["base_dir"]))
        _PIPELINES[key] = pipe
    return pipe


def _partition_function(shared, how: dict) -> Callable:
    def run(frames: Iterator) -> Iterator:
        return enrich_partition(frames, shared.value, how)

    return run


def enrich_partition(frames: Iterator, settings: dict, how: dict) -> Iterator:
    """Enrich one partition's pandas frames (runs in the Python worker)."""
    from pyspark import TaskContext

    from voc_nlp.io.columns import ColumnMap
    from voc_nlp.io.readers import canonical_frame
    from voc_nlp.io.writers import records_to_frame

    context = TaskContext.get()
    source = f"<spark partition {context.partitionId() if context else 0}>"
    columns = ColumnMap(**how["columns"]) if how["mode"] == "frame" else None
    pipe = None
    done = 0
    for frame in frames:
        if pipe is None:  # on the first batch: an empty partition loads nothing
            pipe = worker_pipeline(settings)
            size = int(how.get("batch_size") or pipe.chunk_size)
        frame = _plain_frame(frame, how.get("time_zone"))
        for start in range(0, len(frame), size):
            part = frame.iloc[start : start + size]
            if columns is not None:
                chunk = canonical_frame(part, columns, source=source, first_row=done + 1,
                                        max_text_chars=pipe.max_text_chars)
            else:
                chunk = _canonical_chunk(part)
            done += len(part)
            yield _spark_frame(records_to_frame(pipe.enrich_records(chunk)), how["json_columns"])


def _plain_frame(frame, time_zone: str | None):
    """A Spark batch as plain Python values: arrays as lists, missing as None,
    timestamps (naive, in the session's time zone) as UTC Timestamps."""
    import pandas as pd

    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            if column.dt.tz is None:
                column = column.dt.tz_localize(time_zone or "UTC")
            column = column.dt.tz_convert("UTC")
            out[name] = [None if pd.isna(v) else v for v in column]
        else:
            out[name] = [_plain(v) for v in column]
    return pd.DataFrame(out, columns=list(frame.columns), index=range(len(frame)), dtype=object)


def _plain(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)) and not hasattr(value, "asDict"):
        return [_plain(v) for v in value]
    if hasattr(value, "asDict"):  # a pyspark Row
        value = value.asDict(recursive=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA:
        return None
    return value


def _canonical_chunk(part):
    """Staged canonical rows (turns as JSON text) back as a `read_feedback` chunk."""
    import pandas as pd

    from voc_nlp.io.readers import FEEDBACK_COLUMNS

    rows = []
    for row in part.to_dict("records"):
        row = {name: row.get(name) for name in FEEDBACK_COLUMNS}
        row["turns"] = json.loads(row["turns"]) if row["turns"] else None
        row["warnings"] = list(row["warnings"] or [])
        row["text"] = row["text"] or ""
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(FEEDBACK_COLUMNS), dtype=object)
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def _spark_frame(records, as_json: tuple[str, ...]):
    """Records (as `records_to_frame` makes them) ready for Spark's conversion."""
    import pandas as pd

    records = records.copy()
    records["created_at"] = pd.to_datetime(records["created_at"], utc=True)
    if as_json:
        from voc_nlp.io.writers import _value_converter

        for name in as_json:
            convert = _value_converter(ARROW_SCHEMA.field(name).type)
            values = pa.array(records[name].tolist(), type=ARROW_SCHEMA.field(name).type).to_pylist()
            records[name] = [None if v is None else json.dumps(convert(v), ensure_ascii=False)
                             for v in values]
    return records


# --------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------


def under_spark_submit() -> bool:
    """Whether this Python was started by spark-submit (its JVM is already running)."""
    import os

    return "PYSPARK_GATEWAY_PORT" in os.environ


def local_session(master: str | None = "local[2]", app_name: str = "voc-nlp", conf: dict | None = None):
    """A Spark session for `voc-nlp spark-enrich` and the tests.

    `master` None keeps the one configured (by spark-submit). Local masters
    bind to loopback only (SPARK_LOCAL_IP=127.0.0.1, no UI);
    the workers run this Python (PYSPARK_PYTHON), the session time zone is
    UTC, and Parquet timestamps are written as microseconds with a UTC
    adjustment, as `voc-nlp enrich` writes them.
    """
    import os
    import sys

    require_pyspark()
    local = master is not None and master.startswith("local")
    if local:
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if master is not None:
        builder = builder.master(master)
    if local:
        builder = (builder.config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.ui.enabled", "false"))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
