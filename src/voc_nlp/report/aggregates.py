"""The numbers behind the report: DuckDB aggregations over enriched records.

`load(path)` opens enriched output (Parquet file or glob, JSONL, or a DuckDB
database table) as a DuckDB view `src` with the columns the report needs;
`compute(con, taxonomy, options)` returns a `ReportData`: named pandas tables
(written as CSV/Parquet with `--tables`) plus a few facts (`meta`).

Only the needed columns are read, and every aggregation runs in DuckDB over a
compact `base` table built once (one row per analysed item, no text, no
units), so a million records aggregate in seconds. The text column is read
once, for the few quotes shown.

Definitions (also in the report's own help texts):

- analysed item: a record whose `error` is null. Shares are of analysed items.
- net sentiment = share positive − share negative, in [-1, 1].
- journey cell (phase × touchpoint): an item counts once in each of its
  touchpoints; an item with a phase and no touchpoint goes to a "no
  touchpoint" row. The cell's sentiment is the record's aspect sentiment for
  that touchpoint (`touchpoint_sentiment`) when present, else the item's.
- pain item: `pain_point` when the record has it, else sentiment is negative.
- period grain: week when the dated items span at most `WEEKLY_MAX_DAYS`,
  else month. Recent window: the last 4 weeks or the last 2 months; emerging
  topic: recent share >= `emerging_lift` × share before, with at least
  `emerging_min` recent items.
- rating impact of X: (mean rating with X − mean without) × share of rated
  items with X: how much the average rating would rise if those items were
  rated like the rest (negative = pulls the average down).
- chat mood: the pipeline's own reading (`mood_start`, `mood_end`,
  `mood_change`: first vs last customer turn, `components.sentiment.mood_threshold`),
  never recomputed here; a chat is an item with a `mood_start`.
- contact cost, churn and effort hot spots, non-purchase reasons, NPS and
  CSAT: see `voc_nlp.report.cx`.
"""

from __future__ import annotations

import glob
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text.pii import mask_pii

WEEKLY_MAX_DAYS = 120

# Column -> DuckDB type of everything the report reads (never the units: the
# chat mood is read from the record's mood fields).
NEEDED = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "lang": "VARCHAR",
    "channel": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "rating": "DOUBLE",
    "nps": "DOUBLE",
    "csat": "DOUBLE",
    "sentiment": "VARCHAR",
    "sentiment_score": "DOUBLE",
    "emotions": "VARCHAR[]",
    "mood_start": "DOUBLE",
    "mood_end": "DOUBLE",
    "mood_change": "VARCHAR",
    "phase": "VARCHAR",
    "stage": "VARCHAR",
    "touchpoints": "VARCHAR[]",
    "touchpoint_sentiment": "MAP(VARCHAR, VARCHAR)",
    "effort": "BOOLEAN",
    "churn_risk": "BOOLEAN",
    "churn_risk_score": "DOUBLE",
    "contacts": 'STRUCT(channel VARCHAR, "count" INTEGER, "text" VARCHAR)[]',
    "non_purchase": "BOOLEAN",
    "pain_point": "BOOLEAN",
    "pain_point_score": "DOUBLE",
    "topic_id": "INTEGER",
    "topic_label": "VARCHAR",
    "topic_keywords": "VARCHAR[]",
    "error": "VARCHAR",
}


class ReportInputError(ValueError):
    """Input the report cannot read; the message says why."""


@dataclass
class Options:
    lang: str = "en"
    top_topics: int = 10
    quotes: int = 3
    grain: str = "auto"            # auto | week | month
    min_cell: int = 5              # journey cells with fewer items are drawn pale
    emerging_lift: float = 2.0
    emerging_min: int = 5
    impact_min: int = 3            # rated items needed to rank a touchpoint/topic
    threads: int | None = None
    # The config's `contact_costs` (currency, costs by contact channel, touchpoints
    # implying a contact); None: the default config's.
    contact_costs: dict | None = None


@dataclass
class ReportData:
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def load(path: str, table: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view `src` over the enriched records at `path`."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    lower = path.lower()
    matches = sorted(glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    if not matches or not all(os.path.exists(m) for m in matches):
        raise ReportInputError(f"{path}: no such file")
    if lower.endswith(".duckdb") or lower.endswith(".db"):
        con.execute(f"ATTACH {_lit(path)} AS srcdb (READ_ONLY)")
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'srcdb'").fetchall()
            if r[0] != "voc_nlp_meta"]  # the records' metadata (io.writers), not records
        name = table or ("feedback" if "feedback" in tables else (tables[0] if len(tables) == 1 else None))
        if name not in tables:
            raise ReportInputError(
                f"{path}: table {name or '?'} not found; tables: {', '.join(tables) or 'none'} (use --table)")
        relation = f"srcdb.main.{_ident(name)}"
    elif lower.endswith(".parquet") or lower.endswith(".pq"):
        relation = f"read_parquet({_lit(path)}, union_by_name = true)"
    elif lower.endswith(".jsonl") or lower.endswith(".ndjson") or lower.endswith(".json") or lower.endswith(".jsonl.gz"):
        columns = "{" + ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in NEEDED.items()) + "}"
        relation = f"read_json({_lit(path)}, format = 'newline_delimited', columns = {columns})"
    else:
        raise ReportInputError(f"{path}: unknown input type; use enriched .parquet, .jsonl or .duckdb output")
    try:
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    except duckdb.Error as exc:
        raise ReportInputError(f"{path}: cannot read ({exc})") from exc
    if "sentiment" not in present:
        raise ReportInputError(f"{path}: not enriched voc-nlp output (no sentiment column)")
    select = ", ".join(
        (f"{_ident(name)}" if name in present else f"NULL::{kind}") + f" AS {_ident(name)}"
        for name, kind in NEEDED.items()
    )
    con.execute(f"CREATE VIEW src AS SELECT {select} FROM {relation}")
    return con


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------


def compute(con: duckdb.DuckDBPyConnection, tax: Taxonomy, options: Options | None = None) -> ReportData:
    opt = options or Options()
    data = ReportData()
    pos, neg, neutral = _lit(tax.positive), _lit(tax.negative), _lit(tax.neutral_emotion)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE base AS
        SELECT row_number() OVER () AS rid, id, lang, channel,
               timezone('UTC', created_at) AS ts,
               rating, nps, csat,
               sentiment,
               sentiment_score AS score,
               CASE WHEN sentiment = {pos} THEN 1 WHEN sentiment = {neg} THEN -1 ELSE 0 END AS pol,
               coalesce(emotions, []) AS emotions,
               phase, stage,
               list_distinct(list_filter(coalesce(touchpoints, []), lambda t: t IS NOT NULL)) AS touchpoints,
               touchpoint_sentiment,
               coalesce(pain_point, sentiment = {neg}) AS is_pain,
               pain_point_score,
               CASE WHEN topic_id >= 0 THEN topic_id::VARCHAR
                    WHEN topic_id IS NULL AND topic_label IS NOT NULL THEN topic_label END AS topic,
               topic_label, topic_keywords,
               effort, churn_risk, churn_risk_score, non_purchase, coalesce(contacts, []) AS contacts
        FROM src WHERE error IS NULL
    """)
    q = lambda sql: con.execute(sql).df()  # noqa: E731

    # -- overview --------------------------------------------------------------
    ov = con.execute(f"""
        SELECT count(*) AS items,
               count(sentiment) AS with_sentiment,
               count(*) FILTER (WHERE pol = -1) AS negative,
               count(*) FILTER (WHERE pol = 0 AND sentiment IS NOT NULL) AS neutral,
               count(*) FILTER (WHERE pol = 1) AS positive,
               count(rating) AS rated, avg(rating) AS mean_rating,
               min(ts) AS period_start, max(ts) AS period_end, count(ts) AS dated
        FROM base""").df()
    errors = con.execute("SELECT count(*) FROM src WHERE error IS NOT NULL").fetchone()[0]
    ov.insert(1, "errors", errors)
    ws = ov["with_sentiment"].iloc[0]
    ov["share_negative"] = ov["negative"] / ws if ws else np.nan
    ov["share_positive"] = ov["positive"] / ws if ws else np.nan
    ov["net_sentiment"] = ov["share_positive"] - ov["share_negative"]
    row = ov.iloc[0]
    start, end = _ts(row["period_start"]), _ts(row["period_end"])
    grain = opt.grain
    if grain == "auto":
        span = (end - start).days if start is not None else 0
        grain = "week" if span <= WEEKLY_MAX_DAYS else "month"
    ov["grain"] = grain
    data.tables["overview"] = ov
    items = int(row["items"])
    data.meta.update(items=items, errors=int(errors), grain=grain, rated=int(row["rated"]),
                     period_start=start, period_end=end)

    sentiment_cols = f"""count(*) AS items,
               count(*) FILTER (WHERE pol = -1) / nullif(count(sentiment), 0) AS share_negative,
               count(*) FILTER (WHERE pol = 1) / nullif(count(sentiment), 0) AS share_positive,
               (count(*) FILTER (WHERE pol = 1) - count(*) FILTER (WHERE pol = -1))
                   / nullif(count(sentiment), 0) AS net_sentiment,
               avg(rating) AS mean_rating"""
    for name, col in (("by_channel", "channel"), ("by_language", "lang")):
        frame = q(f"SELECT {col}, {sentiment_cols} FROM base GROUP BY 1 ORDER BY items DESC, 1")
        frame.insert(2, "share", frame["items"] / max(items, 1))
        data.tables[name] = frame

    emotions = q("""SELECT e AS emotion, count(*) AS items
                    FROM (SELECT unnest(emotions) AS e FROM base) GROUP BY 1 ORDER BY items DESC, 1""")
    emotions["share"] = emotions["items"] / max(items, 1)
    emotions["label"] = [tax.label("emotion", e, opt.lang) for e in emotions["emotion"]]
    data.tables["emotions"] = emotions

    # -- journey -----------------------------------------------------------------
    tagged = con.execute("SELECT count(*) FROM base WHERE phase IS NOT NULL OR len(touchpoints) > 0").fetchone()[0]
    data.meta["journey_items"] = int(tagged)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE tp AS
        SELECT rid, phase, stage, emotions, rating, topic, is_pain, ts, effort, churn_risk,
               touchpoint,
               CASE WHEN touchpoint IS NULL THEN pol
                    ELSE CASE coalesce(touchpoint_sentiment[touchpoint], sentiment)
                         WHEN {pos} THEN 1 WHEN {neg} THEN -1 ELSE 0 END END AS pol,
               coalesce(touchpoint_sentiment[touchpoint], sentiment) AS sentiment
        FROM (SELECT *, unnest(CASE WHEN len(touchpoints) > 0 THEN touchpoints ELSE [NULL::VARCHAR] END) AS touchpoint
              FROM base WHERE phase IS NOT NULL OR len(touchpoints) > 0)
    """)
    cells = q(f"SELECT phase, touchpoint, {sentiment_cols} FROM tp GROUP BY ALL")
    cells = _with_dominant(con, cells, "tp", ["phase", "touchpoint"], neutral)
    stage_of = _phase_stages(con, tax)
    cells.insert(1, "stage", [stage_of.get(p) for p in cells["phase"]])
    data.tables["journey_map"] = _order_journey(cells, tax)
    phases = q(f"SELECT phase, {sentiment_cols} FROM base WHERE phase IS NOT NULL OR len(touchpoints) > 0 GROUP BY ALL")
    phases = _with_dominant(con, phases, "(SELECT * FROM base WHERE phase IS NOT NULL OR len(touchpoints) > 0)",
                            ["phase"], neutral)
    phases.insert(1, "stage", [stage_of.get(p) for p in phases["phase"]])
    data.tables["journey_phases"] = _order_journey(phases, tax)
    tps = q(f"SELECT touchpoint, {sentiment_cols} FROM tp GROUP BY ALL")
    data.tables["journey_touchpoints"] = _order_journey(_with_dominant(con, tps, "tp", ["touchpoint"], neutral), tax)
    curve = q("""
        WITH p AS (SELECT phase, count(*) AS phase_items FROM base WHERE phase IS NOT NULL GROUP BY 1),
             e AS (SELECT phase, unnest(emotions) AS emotion FROM base WHERE phase IS NOT NULL)
        SELECT e.phase, e.emotion, count(*) AS items, any_value(p.phase_items) AS phase_items
        FROM e JOIN p USING (phase) GROUP BY ALL""")
    curve["share"] = curve["items"] / curve["phase_items"]
    curve.insert(1, "stage", [stage_of.get(p) for p in curve["phase"]])
    data.tables["emotion_curve"] = _order_journey(curve, tax)

    # -- periods and trends ----------------------------------------------------------
    trends = q(f"""SELECT date_trunc('{grain}', ts)::DATE AS period, {sentiment_cols}
                   FROM base WHERE ts IS NOT NULL GROUP BY 1 ORDER BY 1""")
    data.tables["trends"] = trends
    periods = list(trends["period"])
    recent_n = 4 if grain == "week" else 2
    if len(periods) <= recent_n:
        recent_n = max(1, len(periods) // 2)
    recent_start = periods[-recent_n] if len(periods) >= 2 else None
    data.meta.update(recent_periods=recent_n, recent_start=recent_start, periods=len(periods))

    # -- topics ------------------------------------------------------------------------
    n_topics = con.execute("SELECT count(DISTINCT topic) FROM base").fetchone()[0]
    data.meta["topics"] = int(n_topics)
    recent_sql = f"ts >= DATE '{recent_start}'" if recent_start is not None else "FALSE"
    before_sql = f"ts < DATE '{recent_start}'" if recent_start is not None else "FALSE"
    totals = con.execute(f"""SELECT count(*) FILTER (WHERE {recent_sql}),
                                    count(*) FILTER (WHERE {before_sql}) FROM base""").fetchone()
    recent_total, before_total = totals
    pain = q(f"""
        SELECT topic,
               mode(topic_label) AS label,
               count(*) AS topic_items,
               count(*) FILTER (WHERE is_pain) AS items,
               count(*) FILTER (WHERE pol = -1) / nullif(count(sentiment), 0) AS share_negative,
               (count(*) FILTER (WHERE pol = 1) - count(*) FILTER (WHERE pol = -1))
                   / nullif(count(sentiment), 0) AS net_sentiment,
               count(*) FILTER (WHERE is_pain AND {recent_sql}) AS recent_items,
               count(*) FILTER (WHERE is_pain AND {before_sql}) AS before_items
        FROM base WHERE topic IS NOT NULL GROUP BY 1
        HAVING count(*) FILTER (WHERE is_pain) > 0
        ORDER BY items DESC, topic LIMIT {int(opt.top_topics)}""")
    pain.insert(3, "share", pain["items"] / max(items, 1))
    pain["recent_share"] = pain["recent_items"] / recent_total if recent_total else np.nan
    pain["before_share"] = pain["before_items"] / before_total if before_total else np.nan
    pain["trend_points"] = 100 * (pain["recent_share"] - pain["before_share"])
    topics = list(pain["topic"])
    keys = ", ".join(_lit(t) for t in topics) or "NULL"
    if topics:
        kw = q(f"""SELECT topic, mode(topic_keywords) AS keywords FROM base
                   WHERE topic IN ({keys}) AND len(topic_keywords) > 0 GROUP BY 1""")
        kw_map = {r.topic: list(r.keywords)[:6] for r in kw.itertuples()}
        where_tp = q(f"""SELECT topic, touchpoint, count(*) AS n FROM tp
                         WHERE topic IN ({keys}) AND is_pain AND touchpoint IS NOT NULL
                         GROUP BY ALL ORDER BY topic, n DESC, touchpoint""")
        where_ph = q(f"""SELECT topic, phase, count(*) AS n FROM base
                         WHERE topic IN ({keys}) AND is_pain AND phase IS NOT NULL
                         GROUP BY ALL ORDER BY topic, n DESC, phase""")
        spark = q(f"""SELECT topic, date_trunc('{grain}', ts)::DATE AS period, count(*) AS items FROM base
                      WHERE topic IN ({keys}) AND is_pain AND ts IS NOT NULL GROUP BY ALL ORDER BY 1, 2""")
        quotes = pick_quotes(con, f"""
            SELECT topic AS key, id, row_number() OVER (
                PARTITION BY topic
                ORDER BY (lang = {_lit(opt.lang)}) DESC NULLS LAST, is_pain DESC NULLS LAST,
                         pain_point_score DESC NULLS LAST, score ASC NULLS LAST, id) AS k
            FROM base WHERE topic IN ({keys})""", opt)
    else:
        kw_map, quotes = {}, {}
        where_tp = pd.DataFrame(columns=["topic", "touchpoint", "n"])
        where_ph = pd.DataFrame(columns=["topic", "phase", "n"])
        spark = pd.DataFrame(columns=["topic", "period", "items"])
    pain["label"] = [lab if isinstance(lab, str) and lab else f"#{t}" for t, lab in zip(pain["topic"], pain["label"])]
    pain["keywords"] = ["; ".join(kw_map.get(t, [])) for t in pain["topic"]]
    pain["top_touchpoints"] = ["; ".join(f"{r.touchpoint} ({r.n})" for r in where_tp[where_tp.topic == t].head(3).itertuples())
                               for t in pain["topic"]]
    pain["top_phases"] = ["; ".join(f"{r.phase} ({r.n})" for r in where_ph[where_ph.topic == t].head(2).itertuples())
                          for t in pain["topic"]]
    add_quotes(pain, pain["topic"], quotes, opt.quotes)
    data.tables["pain_points"] = pain
    data.tables["topic_trends"] = _fill_periods(spark, periods)

    emerging = q(f"""
        SELECT topic, mode(topic_label) AS label,
               count(*) FILTER (WHERE {recent_sql}) AS recent_items,
               count(*) FILTER (WHERE {before_sql}) AS before_items
        FROM base WHERE topic IS NOT NULL GROUP BY 1""")
    emerging["recent_share"] = emerging["recent_items"] / recent_total if recent_total else np.nan
    emerging["before_share"] = emerging["before_items"] / before_total if before_total else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        emerging["lift"] = np.where(emerging["before_items"] > 0,
                                    emerging["recent_share"] / emerging["before_share"], np.inf)
    emerging["emerging"] = ((emerging["lift"] >= opt.emerging_lift)
                            & (emerging["recent_items"] >= opt.emerging_min)
                            & (recent_total > 0) & (before_total > 0))
    emerging["label"] = [lab if isinstance(lab, str) and lab else f"#{t}"
                         for t, lab in zip(emerging["topic"], emerging["label"])]
    emerging = emerging.sort_values(["emerging", "lift", "recent_items"], ascending=[False, False, False])
    data.tables["emerging_topics"] = emerging.reset_index(drop=True)
    pain["emerging"] = pain["topic"].isin(set(emerging.loc[emerging["emerging"], "topic"]))

    # -- impact on rating --------------------------------------------------------------
    data.tables["impact"] = impact(con, tax, opt, "rating", data.meta["rated"])

    # -- chats -----------------------------------------------------------------------
    data.tables["chats"] = _chats(con)
    data.meta["conversations"] = int(data.tables["chats"]["conversations"].iloc[0]) if len(data.tables["chats"]) else 0

    # -- what a CX lead asks next: cost, churn and effort, non-purchase, NPS/CSAT ------
    from voc_nlp.report import cx

    cx.compute(con, tax, opt, data)
    return data


def _ts(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).to_pydatetime()


def _with_dominant(con, frame: pd.DataFrame, relation: str, keys: list[str], neutral: str) -> pd.DataFrame:
    """Add the dominant (most expressed, non-neutral) emotion of each group and its share."""
    dom = _dominant(con, relation, keys, neutral)
    out = frame.merge(dom, on=keys, how="left")
    out["dominant_items"] = out["dominant_items"].fillna(0).astype("int64")
    out["dominant_share"] = out["dominant_items"] / out["items"]
    return out


def _dominant(con, relation: str, keys: list[str], neutral: str) -> pd.DataFrame:
    cols = ", ".join(keys)
    return con.execute(f"""
        WITH e AS (SELECT {cols}, unnest(emotions) AS emotion FROM {relation}),
             c AS (SELECT {cols}, emotion, count(*) AS n FROM e WHERE emotion <> {neutral} GROUP BY ALL),
             r AS (SELECT *, row_number() OVER (PARTITION BY {cols} ORDER BY n DESC, emotion) AS k FROM c)
        SELECT {cols}, emotion AS dominant_emotion, n AS dominant_items FROM r WHERE k = 1""").df()


def _phase_stages(con, tax: Taxonomy) -> dict:
    """Stage of each phase: the taxonomy's, else the most frequent in the data."""
    seen = con.execute("""SELECT phase, mode(stage) FROM base WHERE phase IS NOT NULL GROUP BY 1""").fetchall()
    out = {phase: stage for phase, stage in seen}
    for p in tax.phases:
        if p.stage:
            out[p.id] = p.stage
    return out


def _order_journey(frame: pd.DataFrame, tax: Taxonomy) -> pd.DataFrame:
    """Sort by taxonomy order of stage, phase, touchpoint and emotion (unknown ids after,
    nulls last), so the tables do not depend on the order DuckDB's threads return groups."""
    frame = frame.copy()
    sort_cols = []
    for col, order in (("stage", tax.stage_ids), ("phase", tax.phase_ids),
                       ("touchpoint", tax.touchpoint_ids), ("emotion", tax.emotion_ids)):
        if col in frame.columns:
            rank = {key: i for i, key in enumerate(order)}
            frame[f"_{col}"] = [(rank.get(v, len(rank)) if isinstance(v, str) else len(rank) + 1, str(v))
                                for v in frame[col]]
            sort_cols.append(f"_{col}")
    if sort_cols:
        frame = frame.sort_values(sort_cols, kind="stable").drop(columns=sort_cols)
    return frame.reset_index(drop=True)


def _fill_periods(spark: pd.DataFrame, periods: list) -> pd.DataFrame:
    if spark.empty or not periods:
        return spark.reset_index(drop=True)
    full = pd.MultiIndex.from_product([sorted(spark["topic"].unique()), periods], names=["topic", "period"])
    return (spark.set_index(["topic", "period"])["items"].reindex(full, fill_value=0).reset_index())


def add_quotes(frame: pd.DataFrame, keys, quotes: dict[str, list[str]], n: int) -> None:
    """Columns quote_1 … quote_n of `frame`: the quotes of each row's key (None when fewer)."""
    keys = list(keys)
    for i in range(n):
        frame[f"quote_{i + 1}"] = [(quotes.get(k) or [])[i] if i < len(quotes.get(k) or []) else None for k in keys]


def pick_quotes(con, candidates_sql: str, opt: Options) -> dict[str, list[str]]:
    """Up to `opt.quotes` quotes per key. `candidates_sql` selects (key, id, k), k
    the rank within the key (best first); only the first 4 × quotes + 4 are read.
    Short, distinct texts are preferred; personal data is masked."""
    cand = con.execute(f"SELECT key, id, k FROM ({candidates_sql}) WHERE k <= {4 * opt.quotes + 4}").df()
    if cand.empty:
        return {}
    con.register("quote_ids", cand[["id"]].drop_duplicates())
    try:
        texts = dict(con.execute(
            "SELECT id, any_value(text) FROM src WHERE id IN (SELECT id FROM quote_ids) GROUP BY 1").fetchall())
    finally:
        con.unregister("quote_ids")
    out: dict[str, list[str]] = {}
    for key, group in cand.sort_values(["key", "k"]).groupby("key", sort=False):
        chosen, seen = [], set()
        ranked = sorted(group.itertuples(), key=lambda r: (not 20 <= len(texts.get(r.id) or "") <= 400, r.k))
        for r in ranked:
            # Records written with `--no-mask` (or before masking existed) hold
            # raw text; the report still never shows personal data.
            text = " ".join(mask_pii(texts.get(r.id) or "").text.split())
            if not text or text.lower() in seen:
                continue
            seen.add(text.lower())
            chosen.append(text if len(text) <= 300 else text[:297].rstrip() + "…")
            if len(chosen) == opt.quotes:
                break
        out[key] = chosen
    return out


def impact(con, tax: Taxonomy, opt: Options, value: str, scored: int) -> pd.DataFrame:
    """How much each touchpoint and topic moves the mean of `value` (a SQL
    expression over `base`: the rating, an NPS point): (mean with − mean
    without) × share of scored items with it. `scored`: items with a value."""
    columns = ["kind", "key", "label", "n_with", "mean_with", "mean_without", "gap", "impact"]
    if scored < 2:
        return pd.DataFrame(columns=columns)
    n_all, sum_all = con.execute(f"SELECT count({value}), sum({value}) FROM base").fetchone()
    frames = []
    for kind, sql in (
        ("touchpoint", f"""SELECT t AS key, count(*) AS n_with, sum(v) AS s FROM
                           (SELECT {value} AS v, unnest(touchpoints) AS t FROM base WHERE {value} IS NOT NULL)
                           GROUP BY 1"""),
        ("topic", f"""SELECT topic AS key, count(*) AS n_with, sum({value}) AS s, mode(topic_label) AS label
                      FROM base WHERE {value} IS NOT NULL AND topic IS NOT NULL GROUP BY 1"""),
    ):
        f = con.execute(sql).df()
        if f.empty:
            continue
        f.insert(0, "kind", kind)
        if kind == "touchpoint":
            f["label"] = [tax.label("touchpoint", k, opt.lang) for k in f["key"]]
        else:
            f["label"] = [lab if isinstance(lab, str) and lab else f"#{k}" for k, lab in zip(f["key"], f["label"])]
        frames.append(f)
    if not frames:
        return pd.DataFrame(columns=columns)
    f = pd.concat(frames, ignore_index=True)
    f = f[(f["n_with"] >= opt.impact_min) & (f["n_with"] < n_all)].copy()
    f["mean_with"] = f["s"] / f["n_with"]
    f["mean_without"] = (sum_all - f["s"]) / (n_all - f["n_with"])
    f["gap"] = f["mean_with"] - f["mean_without"]
    f["impact"] = f["gap"] * f["n_with"] / n_all
    return f[columns].sort_values(["impact", "kind", "key"]).reset_index(drop=True)


def _chats(con) -> pd.DataFrame:
    """Chat mood as the pipeline read it (`mood_start`, `mood_end`, `mood_change`), by language."""
    f = con.execute("""
        SELECT coalesce(lang, '') AS lang, count(*) AS conversations,
               count(mood_change) AS compared,
               count(*) FILTER (WHERE mood_change = 'improved') AS improved,
               count(*) FILTER (WHERE mood_change = 'worsened') AS worsened,
               sum(mood_start) FILTER (WHERE mood_change IS NOT NULL) AS sum_first,
               sum(mood_end) FILTER (WHERE mood_change IS NOT NULL) AS sum_last
        FROM src WHERE error IS NULL AND mood_start IS NOT NULL
        GROUP BY 1 ORDER BY conversations DESC, 1""").df()
    if f.empty:
        return pd.DataFrame(columns=["group", "conversations", "compared", "improved", "unchanged", "worsened",
                                     "share_improved", "share_unchanged", "share_worsened", "mean_first", "mean_last"])
    total = f.drop(columns="lang").sum(numeric_only=True).to_frame().T
    total.insert(0, "lang", None)
    f = pd.concat([total, f], ignore_index=True)
    f = f.rename(columns={"lang": "group"})
    f["group"] = ["all"] + [f"lang={v}" for v in f["group"].iloc[1:]]
    for col in ("conversations", "compared", "improved", "worsened"):
        f[col] = f[col].astype("int64")
    f.insert(4, "unchanged", f["compared"] - f["improved"] - f["worsened"])
    comp = f["compared"].replace(0, np.nan)
    f["share_improved"] = f["improved"] / comp
    f["share_unchanged"] = f["unchanged"] / comp
    f["share_worsened"] = f["worsened"] / comp
    f["mean_first"] = f["sum_first"] / comp
    f["mean_last"] = f["sum_last"] / comp
    return f.drop(columns=["sum_first", "sum_last"])


def write_tables(data: ReportData, folder: str | Path) -> list[Path]:
    """Write every table as CSV and Parquet into `folder`; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in data.tables.items():
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                                            else (v if isinstance(v, (str, bool, int, float)) else str(v)))
        csv_path, pq_path = folder / f"{name}.csv", folder / f"{name}.parquet"
        frame.to_csv(csv_path, index=False)
        frame.to_parquet(pq_path, index=False)
        written += [csv_path, pq_path]
    return written
