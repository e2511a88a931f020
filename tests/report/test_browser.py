"""The report in a real headless browser (Debian's chromium; `make browser` installs it).

Checks what a reader would hit: console errors (any console message fails:
the report logs nothing), missing sections, the tooltip script not running,
journey-map cells whose numbers differ from the aggregates table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from voc_nlp.cli.__main__ import main

SECTION_IDS = ("overview", "journey", "curve", "pain", "trends", "impact", "chats", "costs", "churn", "nonpurchase",
               "nps", "method")


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI must run the browser test: `make browser` installs it")
    pytest.skip("chromium is not installed (run `make browser`); CI runs this test")


def run_chromium(url: str, tmp_path: Path, *extra: str) -> tuple[str, list[str]]:
    """(DOM after scripts ran, console messages) of `url`."""
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


class _Dom(HTMLParser):
    """Section ids, journey-map cells (attributes + shown numbers), tooltip elements."""

    def __init__(self):
        super().__init__()
        self.sections, self.cells, self.tips_with_title = [], [], 0
        self.layer_cells, self.empty_in, self._section = [], [], None
        self._cell, self._field = None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
            self._section = a.get("id")
        if tag == "p" and a.get("class") == "empty":
            self.empty_in.append(self._section)
        if tag == "td" and a.get("class") == "hcell":
            self.layer_cells.append(a)
        if "data-tip" in a and "title" in a:
            self.tips_with_title += 1
        if tag == "td" and "cell" in (a.get("class") or "").split() and "data-phase" in a:
            self._cell = {**a, "shown_items": "", "shown_net": ""}
            self.cells.append(self._cell)
        elif self._cell is not None and tag in ("b", "span"):
            self._field = {"items": "shown_items", "net": "shown_net"}.get(a.get("class"))

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        if tag in ("b", "span"):
            self._field = None

    def handle_data(self, data):
        if self._cell is not None and self._field:
            self._cell[self._field] += data


def _signed_points(value: float) -> str:
    points = round(100 * value)
    return f"+{points}" if points > 0 else (f"\u2212{-points}" if points < 0 else "0")


def check_report(html: Path, tables: Path, tmp_path: Path, expect_cells: bool | None = None) -> _Dom:
    dom_text, console = run_chromium(html.as_uri(), tmp_path, "--dump-dom")
    assert console == [], "console messages:\n" + "\n".join(console)
    dom = _Dom()
    dom.feed(dom_text)
    assert [s for s in SECTION_IDS if s not in dom.sections] == []
    assert dom.tips_with_title == 0, "the tooltip script did not run"
    cells = pd.read_csv(tables / "journey_map.csv", keep_default_na=False)
    inner = [c for c in dom.cells if c["data-phase"] != "*" and c["data-touchpoint"] != "*" and c["data-items"] != "0"]
    if expect_cells is not None:
        assert bool(inner) == expect_cells
    assert len(inner) == len(cells)
    expected = {(r.phase, r.touchpoint): r for r in cells.itertuples()}
    for c in inner:
        row = expected[(c["data-phase"], c["data-touchpoint"])]
        assert int(c["data-items"]) == row.items
        assert c["shown_items"].replace("\u202f", "").replace(",", "") == str(row.items)
        assert c["shown_net"] == _signed_points(row.net_sentiment)
    return dom


def test_console_messages_are_caught(tmp_path):
    """The check above would be blind if chromium stopped reporting console messages."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>console.error('boom'); missingFunction();</script></body></html>")
    _, console = run_chromium(page.as_uri(), tmp_path, "--dump-dom")
    assert any("boom" in line for line in console)
    assert any("missingFunction" in line for line in console)


def test_sample_report_in_browser(sample_parquet, tmp_path):
    html, tables = tmp_path / "report.html", tmp_path / "tables"
    assert main(["report", str(sample_parquet), "-o", str(html), "--tables", str(tables), "--quiet"]) == 0
    check_report(html, tables, tmp_path)
    shot = tmp_path / "report.png"
    run_chromium(html.as_uri(), tmp_path, "--hide-scrollbars", "--window-size=1366,2400", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 20_000


def test_sample_report_shows_every_new_section(sample_parquet, tmp_path):
    """The bundled sample has what each newer section needs: contacts, churn and effort, non-purchase, NPS."""
    html = tmp_path / "report.html"
    assert main(["report", str(sample_parquet), "-o", str(html), "--quiet"]) == 0
    dom = _Dom()
    dom.feed(html.read_text(encoding="utf-8"))
    assert [s for s in ("costs", "churn", "nonpurchase", "nps") if s in dom.empty_in] == []
    assert dom.layer_cells


def test_filled_report_in_browser_french(filled_parquet, tmp_path):
    html, tables = tmp_path / "rapport.html", tmp_path / "tables"
    assert main(["report", str(filled_parquet), "-o", str(html), "--tables", str(tables), "--lang", "fr",
                 "--quiet"]) == 0
    dom = check_report(html, tables, tmp_path, expect_cells=True)
    totals = {c["data-phase"]: c for c in dom.cells if c["data-touchpoint"] == "*"}
    assert totals["retention"]["data-items"] == "7"
    # The churn and effort layers: one cell per phase x touchpoint of the map (the effort layer, drawn last, wins
    # here; both are 50% in that cell: r1 churn+effort, r2 effort, r4 none, r6 churn).
    signals = pd.read_csv(tables / "journey_signals.csv", keep_default_na=False)
    cells = signals[signals.level == "cell"]
    shown = {(c["data-phase"], c["data-touchpoint"]): c["data-share"] for c in dom.layer_cells
             if "data-share" in c and "*" not in (c["data-phase"], c["data-touchpoint"])}
    assert len(shown) == len(cells) and shown[("retention", "delivery")] == "50"
    assert [s for s in ("costs", "churn", "nonpurchase", "nps") if s in dom.empty_in] == []
