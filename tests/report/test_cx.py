"""Contact cost, churn/effort hot spots, reasons, NPS and CSAT on the hand-built fixture
(tests/report/conftest.py FILLED), numbers worked out by hand."""

import pytest

from voc_nlp.report import Options, build_report, compute, load
from voc_nlp.report.i18n import STRINGS
from voc_nlp.taxonomy import Taxonomy

COSTS = {"currency": "EUR", "costs": {"phone": 3.0, "chat": 1.8, "email": None}, "touchpoints": {}}


def _data(path, **options):
    return compute(load(str(path)), Taxonomy.load(), Options(**options))


def _row(frame, kind, key):
    rows = frame[(frame.kind == kind) & (frame.key.fillna("-") == (key or "-"))]
    assert len(rows) == 1, (kind, key)
    return rows.iloc[0]


def test_contact_costs_stated(filled_parquet):
    cc = _data(filled_parquet, contact_costs=COSTS).tables["contact_costs"]
    # r1 phone 3, r2 email 2 (no unit cost), r7 phone 1, r8 chat 1 (the transcript), r9 chat 4.
    total = _row(cc, "total", None)
    assert (total["items"], total["contacts"], total["priced_contacts"]) == (5, 11, 9)
    assert total["cost"] == pytest.approx(3 * 3.0 + 1 * 3.0 + 1 * 1.8 + 4 * 1.8)
    phone, chat, email = (_row(cc, "channel", k) for k in ("phone", "chat", "email"))
    assert (phone["contacts"], phone["cost"], phone["unit_cost"]) == (4, pytest.approx(12.0), 3.0)
    assert (chat["items"], chat["contacts"], chat["cost"]) == (2, 5, pytest.approx(9.0))
    assert (email["contacts"], email["priced_contacts"], email["cost"]) == (2, 0, 0)
    late = _row(cc, "topic", "0")  # r1 and r2 (r6 states no contact)
    assert (late["label"], late["items"], late["contacts"], late["cost"]) == ("late delivery", 2, 5, pytest.approx(9.0))
    support = _row(cc, "touchpoint", "customer_support")  # r2 email 2, r7 phone 1, r8 chat 1
    assert (support["contacts"], support["cost"]) == (4, pytest.approx(4.8))
    assert set(cc["currency"]) == {"EUR"}
    assert list(cc.kind)[:4] == ["total", "channel", "channel", "channel"]


def test_contact_costs_implied_by_touchpoints(filled_parquet):
    costs = {**COSTS, "touchpoints": {"customer_support": "phone"}}
    cc = _data(filled_parquet, contact_costs=costs).tables["contact_costs"]
    # customer_support implies one phone contact: r2 +1, r6 +1, r8 +1; r7 already states one.
    total = _row(cc, "total", None)
    assert (total["items"], total["contacts"]) == (6, 14)
    assert total["cost"] == pytest.approx(21.0 + 3 * 3.0)


def test_costs_are_amounts_to_the_cent(filled_parquet):
    # r1's 3 phone contacts x 0.1 are 0.30000000000000004 in floats; the BI tables get 0.3.
    cc = _data(filled_parquet, contact_costs={**COSTS, "costs": {"phone": 0.1, "chat": 0.7}}).tables["contact_costs"]
    assert _row(cc, "topic", "0")["cost"] == 0.3 and _row(cc, "touchpoint", "customer_support")["cost"] == 0.8
    assert all(cost == round(cost, 2) for cost in cc["cost"])


def test_default_costs_come_from_the_config(filled_parquet):
    data = _data(filled_parquet)
    assert data.meta["currency"] == "EUR"
    assert data.meta["unit_costs"]["phone"] == 3.0 and data.meta["unit_costs"]["face_to_face"] == 15.0


def test_churn_and_effort_shares(filled_parquet):
    data = _data(filled_parquet)
    assert (data.meta["signal_items"], data.meta["churn_items"], data.meta["effort_items"]) == (9, 3, 4)
    sig = data.tables["journey_signals"]
    cell = sig[(sig.level == "cell") & (sig.phase == "retention") & (sig.touchpoint == "delivery")].iloc[0]
    # r1 churn+effort, r2 effort, r4 none, r6 churn
    assert (cell["items"], cell["churn_items"], cell["effort_items"]) == (4, 2, 2)
    assert cell["share_churn"] == pytest.approx(0.5) and cell["share_effort"] == pytest.approx(0.5)
    retention = sig[(sig.level == "phase") & (sig.phase == "retention")].iloc[0]
    assert retention["with_signals"] == 7 and retention["share_churn"] == pytest.approx(3 / 7)
    reasons = data.tables["churn_reasons"]
    assert list(zip(reasons.key, reasons["items"])) == [("0", 2), ("1", 1)]
    assert reasons["share"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert reasons.iloc[1]["quote_1"].startswith("Refund still not here")


def test_non_purchase_reasons(filled_parquet):
    data = _data(filled_parquet)
    assert data.meta["non_purchase_items"] == 1
    np_ = data.tables["non_purchase_reasons"]
    assert np_["key"].tolist() == ["checkout_payment"]  # by touchpoint
    assert np_.iloc[0]["items"] == 1 and np_.iloc[0]["share"] == 1.0
    assert np_.iloc[0]["quote_1"] == "I abandoned my cart, the delivery fee was too expensive."


def test_nps_csat_and_drivers(filled_parquet):
    data = _data(filled_parquet)
    nps = data.tables["nps"]
    overall = nps[nps.period.isna()].iloc[0]
    # 2 promoters (10, 9), 1 passive (7), 3 detractors (2, 6, 0) of 6 answers.
    assert (overall["responses"], overall["promoters"], overall["passives"], overall["detractors"]) == (6, 2, 1, 3)
    assert overall["nps"] == pytest.approx(100 * (2 - 3) / 6)
    assert nps[nps.period.notna()]["nps"].tolist() == [-100, -100, 100, 100, 0, -100]  # one answer a month
    drivers = data.tables["nps_drivers"].set_index("key")
    # delivery: r1 −100, r2 −100, r4 +100, r6 −100 (NPS −50) vs r3 +100, r5 0 (NPS +50)
    assert drivers.loc["delivery", "mean_with"] == pytest.approx(-50)
    assert drivers.loc["delivery", "impact"] == pytest.approx(-100 * 4 / 6)
    assert drivers.loc["0", "impact"] == pytest.approx((-100 - 200 / 3) * 3 / 6)
    assert "customer_support" not in drivers.index  # 2 answers: below impact_min
    csat = data.tables["csat"]
    overall = csat[csat.period.isna()].iloc[0]
    assert overall["responses"] == 4 and overall["mean_csat"] == pytest.approx(3.25)
    assert overall["share_satisfied"] == pytest.approx(0.5)


def test_sections_without_data_say_so(empty_parquet, tmp_path):
    html, data = build_report(str(empty_parquet), tmp_path / "r.html", tables_dir=tmp_path / "t")
    for key in ("no_contacts", "no_signals", "no_non_purchase_field", "no_nps"):
        assert STRINGS["en"][key] in html, key
    assert 'id="journey-churn"' not in html and "<svg" not in html.split('id="costs"')[1].split("</section>")[0]
    for name in ("contact_costs", "journey_signals", "churn_reasons", "non_purchase_reasons", "nps", "nps_drivers",
                 "csat"):
        assert (tmp_path / "t" / f"{name}.csv").exists(), name
    html_fr, _ = build_report(str(empty_parquet), None, lang="fr")
    assert STRINGS["fr"]["no_nps"].replace("'", "&#x27;") in html_fr


def test_filled_sections_render(filled_parquet):
    html, _ = build_report(str(filled_parquet), None, lang="fr")
    for key in ("costs", "churn", "nonpurchase", "nps"):
        assert f'<section id="{key}">' in html
    assert 'id="journey-churn" hidden' in html and 'data-layer="journey-effort"' in html
    assert "I abandoned my cart" in html and "Refund still not here" in html
    assert "21,00 EUR" in html  # the cost total, French number format
