"""What a CX lead asks after the journey map: what contacts cost, where churn
and effort concentrate, why people did not buy, what moves NPS.

Computed by DuckDB over the `base` and `tp` tables of `aggregates.compute`
(one row per analysed item; one per item and touchpoint), from the fields the
pipeline wrote (`contacts`, `churn_risk`, `effort`, `non_purchase`, `nps`,
`csat`); every table lands in `ReportData.tables` (and `--tables`).

- contact cost: an item's contacts by channel are the largest of what its
  `contacts` field states (counted from the text by `components.contacts`,
  the item itself when it is a chat or a call) and 1 for each channel a
  touchpoint of the item implies (`contact_costs.touchpoints`: call_center →
  phone, store → face_to_face, …). Cost = contacts × the channel's unit cost
  (`contact_costs.costs`); a channel without a cost is counted, not priced.
  By topic and by touchpoint: the items of that topic / about that touchpoint
  (an item about two touchpoints counts for both, so touchpoint rows overlap;
  the total counts each item once). An estimate: feedback names a fraction of
  the contacts really made, and unit costs are averages.
- hot spots: share of churn-risk and high-effort items among the items with
  those signals, per journey cell (phase × touchpoint), per phase and per
  touchpoint.
- reasons: churn-risk items grouped by pain-point topic (by touchpoint when
  the data has no topics); non-purchase items grouped by touchpoint (what they
  were looking at: price, product information, delivery, payment); quotes
  from the most confident items.
- NPS = % promoters (9–10) − % detractors (0–6) of the items with an `nps`
  answer, overall and per period; drivers: `aggregates.impact` on each
  answer's NPS points (+100 promoter, 0 passive, −100 detractor), i.e. how
  many NPS points the touchpoint or topic moves the overall score.
- CSAT: mean score (1–5) and share satisfied (4 or 5), overall and per period.
"""

from __future__ import annotations

import pandas as pd

from voc_nlp.report.aggregates import Options, ReportData, _lit, _order_journey, add_quotes, impact, pick_quotes
from voc_nlp.taxonomy import Taxonomy

# An NPS answer in points: promoters +100, passives 0, detractors −100; the NPS is their mean.
NPS_POINTS = "CASE WHEN nps >= 9 THEN 100 WHEN nps <= 6 THEN -100 WHEN nps IS NOT NULL THEN 0 END"


def default_contact_costs() -> dict:
    """`contact_costs` of the default config."""
    import yaml

    from voc_nlp.paths import default_config

    return (yaml.safe_load(default_config().read_text(encoding="utf-8")) or {}).get("contact_costs") or {}


def compute(con, tax: Taxonomy, opt: Options, data: ReportData) -> None:
    grain = data.meta["grain"]
    data.tables["contact_costs"] = contact_costs(con, tax, opt, data)
    data.tables["journey_signals"] = journey_signals(con, tax)
    counts = con.execute("""
        SELECT count(churn_risk), count(*) FILTER (WHERE churn_risk), count(effort), count(*) FILTER (WHERE effort),
               count(non_purchase), count(*) FILTER (WHERE non_purchase), count(nps), count(csat)
        FROM base""").fetchone()
    data.meta.update(dict(zip(("signal_items", "churn_items", "effort_known", "effort_items", "non_purchase_known",
                               "non_purchase_items", "nps_items", "csat_items"), map(int, counts))))
    # Churn reasons are the pain-point topics of churn-risk items; why people did not buy
    # is what they were looking at (price, product information, stock, delivery, payment).
    by_topic = bool(data.meta.get("topics"))
    data.tables["churn_reasons"] = reasons(con, tax, opt, "churn_risk", "churn_risk_score", by_topic)
    data.tables["non_purchase_reasons"] = reasons(con, tax, opt, "non_purchase", "pain_point_score", False)
    data.tables["nps"] = by_period(con, grain, f"""
        count(nps) AS responses,
        count(*) FILTER (WHERE nps >= 9) AS promoters,
        count(*) FILTER (WHERE nps >= 7 AND nps <= 8) AS passives,
        count(*) FILTER (WHERE nps <= 6) AS detractors,
        avg({NPS_POINTS}) AS nps""", "nps")
    data.tables["nps_drivers"] = impact(con, tax, opt, NPS_POINTS, data.meta["nps_items"])
    data.tables["csat"] = by_period(con, grain, """
        count(csat) AS responses, avg(csat) AS mean_csat,
        count(*) FILTER (WHERE csat >= 4) / nullif(count(csat), 0) AS share_satisfied""", "csat")


def by_period(con, grain: str, columns: str, column: str) -> pd.DataFrame:
    """`columns` over all items with `column` (period null), then per period."""
    return con.execute(f"""
        SELECT NULL::DATE AS period, {columns} FROM base WHERE {column} IS NOT NULL
        UNION ALL
        (SELECT date_trunc('{grain}', ts)::DATE AS period, {columns} FROM base
         WHERE {column} IS NOT NULL AND ts IS NOT NULL GROUP BY 1 ORDER BY 1)""").df().query("responses > 0") \
        .reset_index(drop=True)


# --------------------------------------------------------------------------
# Contact cost
# --------------------------------------------------------------------------


def contact_costs(con, tax: Taxonomy, opt: Options, data: ReportData) -> pd.DataFrame:
    config = opt.contact_costs if opt.contact_costs is not None else default_contact_costs()
    currency = str(config.get("currency") or "")
    costs = {str(k): (None if v is None else float(v)) for k, v in (config.get("costs") or {}).items()}
    implied = {str(k): str(v) for k, v in (config.get("touchpoints") or {}).items()}
    data.meta["currency"] = currency
    data.meta["unit_costs"] = costs
    con.register("unit_cost", pd.DataFrame({"channel": list(costs), "unit_cost": list(costs.values())},
                                           columns=["channel", "unit_cost"]).astype({"unit_cost": "float64"}))
    con.register("tp_contact", pd.DataFrame({"touchpoint": list(implied), "channel": list(implied.values())},
                                            columns=["touchpoint", "channel"]).astype(str))
    try:
        # One row per item and contact channel: the larger of the stated count and the implied 1.
        con.execute("""
            CREATE OR REPLACE TEMP TABLE item_contacts AS
            WITH stated AS (
                SELECT rid, c.channel AS channel, c.count AS n
                FROM (SELECT rid, unnest(contacts) AS c FROM base) WHERE c.count > 0),
            implied AS (
                SELECT t.rid, m.channel, 1 AS n
                FROM (SELECT rid, unnest(touchpoints) AS touchpoint FROM base) t JOIN tp_contact m USING (touchpoint))
            SELECT rid, channel, max(n) AS contacts, max(n) * any_value(u.unit_cost) AS cost,
                   any_value(u.unit_cost) IS NOT NULL AS priced
            FROM (SELECT * FROM stated UNION ALL SELECT * FROM implied) LEFT JOIN unit_cost u USING (channel)
            GROUP BY rid, channel""")
    finally:
        con.unregister("unit_cost")
        con.unregister("tp_contact")
    measures = """count(DISTINCT c.rid) AS items, sum(c.contacts) AS contacts,
                  sum(c.contacts) FILTER (WHERE c.priced) AS priced_contacts, coalesce(sum(c.cost), 0) AS cost"""
    frames = [
        con.execute(f"SELECT 'total' AS kind, NULL AS key, {measures} FROM item_contacts c").df(),  # always one row
        con.execute(f"SELECT 'channel' AS kind, c.channel AS key, {measures} FROM item_contacts c GROUP BY 2").df(),
        con.execute(f"""SELECT 'topic' AS kind, b.topic AS key, mode(b.topic_label) AS label, {measures}
                        FROM item_contacts c JOIN base b ON b.rid = c.rid WHERE b.topic IS NOT NULL GROUP BY 2""").df(),
        con.execute(f"""SELECT 'touchpoint' AS kind, t.touchpoint AS key, {measures}
                        FROM item_contacts c JOIN (SELECT rid, unnest(touchpoints) AS touchpoint FROM base) t
                        ON t.rid = c.rid GROUP BY 2""").df(),
    ]
    out = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    if "label" not in out.columns:
        out["label"] = None
    out["unit_cost"] = [costs.get(k) if kind == "channel" else None for kind, k in zip(out["kind"], out["key"])]
    out["label"] = [_label(tax, opt, kind, key, lab) for kind, key, lab in zip(out["kind"], out["key"], out["label"])]
    out["currency"] = currency
    out["items"] = out["items"].fillna(0).astype("int64")
    out["contacts"] = out["contacts"].fillna(0).astype("int64")
    out["priced_contacts"] = out["priced_contacts"].fillna(0).astype("int64")
    out["cost"] = out["cost"].astype("float64").round(2)  # money, to the cent: no 311.4000000000005
    out = out[(out["kind"] == "total") | (out["contacts"] > 0)]
    order = {"total": 0, "channel": 1, "topic": 2, "touchpoint": 3}
    out = out.assign(_k=out["kind"].map(order)).sort_values(["_k", "cost", "contacts", "key"],
                                                            ascending=[True, False, False, True])
    return out.drop(columns="_k")[["kind", "key", "label", "items", "contacts", "priced_contacts", "unit_cost", "cost",
                                   "currency"]].reset_index(drop=True)


def _label(tax: Taxonomy, opt: Options, kind: str, key, label) -> str | None:
    if kind == "touchpoint":
        return tax.label("touchpoint", key, opt.lang)
    if kind == "topic":
        return label if isinstance(label, str) and label else f"#{key}"
    return key if isinstance(key, str) else None


# --------------------------------------------------------------------------
# Churn and effort hot spots, reasons
# --------------------------------------------------------------------------


def journey_signals(con, tax: Taxonomy) -> pd.DataFrame:
    """Churn-risk and effort shares per journey cell, phase total and touchpoint total."""
    measures = """count(*) AS items, count(churn_risk) AS with_signals,
                  count(*) FILTER (WHERE churn_risk) AS churn_items, count(*) FILTER (WHERE effort) AS effort_items,
                  count(*) FILTER (WHERE churn_risk) / nullif(count(churn_risk), 0) AS share_churn,
                  count(*) FILTER (WHERE effort) / nullif(count(effort), 0) AS share_effort"""
    f = con.execute(f"""
        SELECT 'cell' AS level, phase, touchpoint, {measures} FROM tp GROUP BY ALL
        UNION ALL
        SELECT 'phase' AS level, phase, NULL AS touchpoint, {measures} FROM base
        WHERE phase IS NOT NULL OR len(touchpoints) > 0 GROUP BY ALL
        UNION ALL
        SELECT 'touchpoint' AS level, NULL AS phase, touchpoint, {measures} FROM tp GROUP BY ALL""").df()
    f = f[f["with_signals"] > 0]
    level = {"cell": 0, "phase": 1, "touchpoint": 2}
    f = _order_journey(f, tax)
    return f.assign(_l=f["level"].map(level)).sort_values("_l", kind="stable").drop(columns="_l").reset_index(drop=True)


def reasons(con, tax: Taxonomy, opt: Options, flag: str, rank_by: str, by_topic: bool) -> pd.DataFrame:
    """Items where `flag` is true, grouped by topic or by touchpoint (an item counts in each
    of its touchpoints), with counts, share of the flagged items and quotes (the highest
    `rank_by` first)."""
    columns = ["kind", "key", "label", "items", "share"] + [f"quote_{i + 1}" for i in range(opt.quotes)]
    flagged = con.execute(f"SELECT count(*) FROM base WHERE {flag}").fetchone()[0]
    if not flagged:
        return pd.DataFrame(columns=columns)
    kind = "topic" if by_topic else "touchpoint"
    rows = f"""SELECT rid, id, lang, {rank_by} AS rank_score, topic_label,
                      {'topic' if by_topic else 'unnest(CASE WHEN len(touchpoints) > 0 THEN touchpoints ELSE [NULL::VARCHAR] END)'}
                      AS key
               FROM base WHERE {flag}"""
    f = con.execute(f"""SELECT key, count(DISTINCT rid) AS items, mode(topic_label) AS label FROM ({rows})
                        GROUP BY 1 ORDER BY items DESC, key NULLS LAST LIMIT {int(opt.top_topics)}""").df()
    f["share"] = f["items"] / flagged
    quotes = pick_quotes(con, f"""
        SELECT coalesce(key, '') AS key, id, row_number() OVER (
            PARTITION BY key ORDER BY (lang = {_lit(opt.lang)}) DESC NULLS LAST, rank_score DESC NULLS LAST, id) AS k
        FROM ({rows})""", opt)
    f.insert(0, "kind", kind)
    f["label"] = [None if not isinstance(k, str) else _label(tax, opt, kind, k, lab)
                  for k, lab in zip(f["key"], f["label"])]
    add_quotes(f, [k if isinstance(k, str) else "" for k in f["key"]], quotes, opt.quotes)
    return f[columns]
