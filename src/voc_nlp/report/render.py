"""The report as one self-contained HTML page: styles and script inlined,
charts as inline SVG, no external resource of any kind."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from html import escape

import pandas as pd

from voc_nlp.report import charts
from voc_nlp.report.aggregates import Options, ReportData
from voc_nlp.report.i18n import Strings
from voc_nlp.taxonomy import Taxonomy

SECTIONS = ("overview", "journey", "curve", "pain", "trends", "impact", "chats", "costs", "churn", "nonpurchase", "nps")

CSS = """
:root{--ink:#1d232a;--muted:#5b6670;--line:#dfe3e8;--bg:#f6f7f9;--card:#fff;--accent:#0b5cad}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#12263f;color:#fff;padding:18px 28px 12px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header .sub{color:#c8d3df;font-size:13px}
nav{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);padding:6px 28px;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:14px}
nav a{color:var(--accent);text-decoration:none;padding:3px 0}
nav a:hover{text-decoration:underline}
main{max-width:1240px;margin:0 auto;padding:18px 20px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px 18px;margin:0 0 18px}
h2{margin:0 0 10px;font-size:19px}
h3{margin:16px 0 8px;font-size:15px;color:var(--muted);font-weight:600}
.help{color:var(--muted);font-size:13px;margin:0 0 12px;max-width:980px}
.empty{color:var(--muted);font-style:italic;background:var(--bg);border:1px dashed var(--line);padding:12px 14px;border-radius:6px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 14px}
.kpi{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:140px;background:#fbfcfd}
.kpi .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.kpi .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:14px 28px}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12.5px}
td.n,th.n{text-align:right}
.chip{display:inline-block;min-width:44px;text-align:center;border-radius:10px;padding:0 6px;font-weight:600;font-size:13px}
.scroll{overflow-x:auto}
table.jmap{border-collapse:separate;border-spacing:3px;font-size:13px}
table.jmap th,table.jmap td{border:none}
table.jmap th.band{text-align:center;color:#fff;background:#43566b;border-radius:4px;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table.jmap th.band.b1{background:#2f6f8f}table.jmap th.band.b2{background:#6a4c93}table.jmap th.band.b3{background:#7d8a97}
table.jmap th.ph{text-align:center;color:var(--ink);font-size:13px;min-width:104px}
table.jmap th.tp{text-align:right;vertical-align:middle;white-space:nowrap;color:var(--ink);font-weight:500;font-size:13px;max-width:230px;overflow:hidden;text-overflow:ellipsis}
table.jmap td.cell{width:112px;height:54px;border-radius:5px;text-align:center;vertical-align:middle;line-height:1.15;cursor:default}
table.jmap td.cell.none{background:#f7f8f9}
table.jmap td.cell b{font-size:15px}
table.jmap td.cell .net{font-size:12px;margin-left:4px}
table.jmap td.cell small{display:block;font-size:11px;opacity:.9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:108px;margin:auto}
table.jmap tr.tot th,table.jmap tr.tot td{border-top:2px solid #9aa5b1}
table.jmap td.cell.tot{outline:1px solid #9aa5b1}
.legend{display:flex;align-items:center;gap:6px;font-size:12px;color:var(--muted);margin:8px 0 0}
.legend span.sw{display:inline-block;width:26px;height:12px;border-radius:2px}
svg.chart{max-width:100%;height:auto;display:block}
svg .lbl{font-size:13px;fill:var(--ink)}svg .val{font-size:12px;fill:var(--ink)}
svg .axis{font-size:12px;fill:var(--muted)}svg .grid{stroke:#eceff2;stroke-width:1}
svg .mark:hover rect,svg circle.mark:hover{opacity:.75}
.pain{border-top:1px solid var(--line);padding:12px 0 6px}
.pain:first-of-type{border-top:none}
.pain .head{display:flex;flex-wrap:wrap;gap:6px 22px;align-items:baseline}
.pain .rank{color:var(--muted);font-weight:600;min-width:22px}
.pain .name{font-size:16px;font-weight:650}
.pain .kw{color:var(--muted);font-size:12.5px}
.pain .facts{display:flex;flex-wrap:wrap;gap:4px 22px;font-size:13.5px;margin:6px 0 4px 28px;align-items:center}
.pain .facts b{font-variant-numeric:tabular-nums}
.badge{background:#c4342d;color:#fff;border-radius:9px;font-size:11px;padding:1px 8px;text-transform:uppercase;letter-spacing:.04em;font-weight:600}
blockquote{margin:4px 0 4px 28px;padding:4px 10px;border-left:3px solid #c9d2dc;color:#33404d;font-size:13.5px;background:#fafbfc}
.up{color:#c4342d;font-weight:600}.down{color:#1b8c48;font-weight:600}
#tip{position:fixed;pointer-events:none;background:#1d232a;color:#fff;font-size:12.5px;padding:6px 9px;border-radius:5px;max-width:340px;white-space:pre-line;z-index:10;display:none;box-shadow:0 2px 8px rgba(0,0,0,.25)}
.layers{display:flex;gap:6px;margin:0 0 10px}
.layers button{font:inherit;font-size:13px;border:1px solid var(--line);background:#fff;border-radius:14px;padding:3px 12px;cursor:pointer}
.layers button[aria-pressed=true]{background:var(--accent);color:#fff;border-color:var(--accent)}
table.jmap td.hcell{width:112px;height:44px;border-radius:5px;text-align:center;vertical-align:middle;font-size:13px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 20px}
@media print{nav{display:none}section{break-inside:avoid}}
"""

# Tooltips: move every <title>/title into data-tip, show it next to the pointer.
JS = """
(function(){
  var tip=document.getElementById('tip');
  document.querySelectorAll('[data-tip]').forEach(function(el){
    el.removeAttribute('title');
    var t=el.querySelector(':scope > title'); if(t){t.remove();}
  });
  function show(e){
    var el=e.target.closest?e.target.closest('[data-tip]'):null;
    if(!el){tip.style.display='none';return;}
    tip.textContent=el.getAttribute('data-tip');
    tip.style.display='block';
    var x=e.clientX+14,y=e.clientY+14,w=tip.offsetWidth,h=tip.offsetHeight;
    if(x+w>window.innerWidth-8){x=e.clientX-w-14;}
    if(y+h>window.innerHeight-8){y=e.clientY-h-14;}
    tip.style.left=x+'px';tip.style.top=y+'px';
  }
  document.addEventListener('mousemove',show);
  document.addEventListener('mouseleave',function(){tip.style.display='none';});
  // Layers of the journey map: sentiment, churn risk, effort (one table each, one shown).
  document.querySelectorAll('.layers button').forEach(function(b){
    b.addEventListener('click',function(){
      document.querySelectorAll('.layers button').forEach(function(o){
        var on=o===b; o.setAttribute('aria-pressed',on?'true':'false');
        var t=document.getElementById(o.getAttribute('data-layer')); if(t){t.hidden=!on;}
      });
    });
  });
})();
"""


def render(data: ReportData, tax: Taxonomy, opt: Options, source: str, title: str | None = None) -> str:
    s = Strings(opt.lang)
    r = _Renderer(data, tax, opt, s)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<header><h1>{escape(title or s('title'))}</h1>"
        f"<div class=\"sub\">{escape(s('generated', when=when, source=source))}</div></header>",
        "<nav>" + "".join(f'<a href="#{k}">{escape(s(k))}</a>' for k in SECTIONS + ("method",)) + "</nav>",
        "<main>",
        r.overview(), r.journey(), r.curve(), r.pain(), r.trends(), r.impact(), r.chats(),
        r.costs(), r.churn(), r.non_purchase(), r.nps(), r.method(),
        "</main>",
        '<div id="tip" role="tooltip"></div>',
        f"<script>{JS}</script>",
    ]
    return (f'<!DOCTYPE html>\n<html lang="{opt.lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title or s('title'))}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def _nan(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


class _Renderer:
    def __init__(self, data: ReportData, tax: Taxonomy, opt: Options, s: Strings):
        self.d, self.t, self.o, self.s = data, tax, opt, s
        self.lang = opt.lang

    # -- helpers -------------------------------------------------------------

    def lab(self, kind: str, key) -> str:
        if _nan(key):
            return self.s({"touchpoint": "no_touchpoint", "phase": "no_phase"}.get(kind, "none_value"))
        return self.t.label(kind, key, self.lang)

    def chip(self, net) -> str:
        bg = charts.net_color(None if _nan(net) else net)
        return (f'<span class="chip" style="background:{bg};color:{charts.ink_for(bg)}">'
                f"{escape(self.s.net(None if _nan(net) else net))}</span>")

    def emotion_color(self, emotion: str) -> str:
        ids = [e for e in self.t.emotion_ids if e != self.t.neutral_emotion]
        i = ids.index(emotion) if emotion in ids else len(ids)
        return charts.PALETTE[i % len(charts.PALETTE)]

    @staticmethod
    def section(key: str, title: str, *content: str) -> str:
        return f'<section id="{key}"><h2>{escape(title)}</h2>' + "".join(content) + "</section>"

    def empty(self, key: str) -> str:
        return f'<p class="empty">{escape(self.s(key))}</p>'

    def grain_words(self) -> tuple[str, str]:
        grain = self.d.meta.get("grain", "month")
        n = self.d.meta.get("recent_periods", 1)
        return self.s(grain), self.s("weeks" if grain == "week" else "months", n=n)

    # -- sections ------------------------------------------------------------

    def overview(self) -> str:
        s, ov = self.s, self.d.tables["overview"].iloc[0]
        start, end = self.d.meta.get("period_start"), self.d.meta.get("period_end")
        period = f"{s.date(start)} – {s.date(end)}" if start else s("no_dates")
        kpis = [(s.int(ov["items"]), s("items_analysed")),
                (s.pct(ov["share_negative"]), s("share_negative")),
                (s.pct(ov["share_positive"]), s("share_positive")),
                (s.net(ov["net_sentiment"]), s("net_sentiment"))]
        if self.d.meta.get("rated"):
            kpis.append((s.num(ov["mean_rating"], 2), s("mean_rating")))
        kpis.append((period, s("period")))
        html = ['<div class="kpis">'] + [
            f'<div class="kpi"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>' for v, k in kpis
        ] + ["</div>"]
        if self.d.meta.get("errors"):
            html.append(f'<p class="help">{s.int(self.d.meta["errors"])} {escape(s("errors"))}</p>')
        html.append(f'<p class="help">{escape(s("net_help"))}</p>')
        emo = self.d.tables["emotions"]
        emo = emo[emo["emotion"] != self.t.neutral_emotion].head(7)
        rows = [(r.label, r.share, s.pct(r.share), f"{r.label}: {s.pct(r.share, 1)} ({s.int(r.items)} {s('items_word')})")
                for r in emo.itertuples()]
        left = f"<div><h3>{escape(s('top_emotions'))}</h3>{charts.hbars(rows, color='#6a4c93')}</div>"
        right = ("<div>" + self._split_table("by_channel", "channel", s("by_channel"), s("channel"))
                 + self._split_table("by_language", "lang", s("by_language"), s("language")) + "</div>")
        html.append(f'<div class="cols">{left}{right}</div>')
        return self.section("overview", s("overview"), *html)

    def _split_table(self, name: str, col: str, title: str, head: str) -> str:
        s = self.s
        frame = self.d.tables[name].head(12)
        has_rating = self.d.meta.get("rated", 0) > 0
        rows = []
        for r in frame.itertuples():
            key = getattr(r, col)
            key = s("none_value") if _nan(key) else key
            rows.append(f"<tr><td>{escape(str(key))}</td><td class=n>{s.int(r.items)}</td><td class=n>{s.pct(r.share)}</td>"
                        f"<td class=n>{s.pct(r.share_negative)}</td><td class=n>{self.chip(r.net_sentiment)}</td>"
                        + (f"<td class=n>{s.num(r.mean_rating, 1)}</td>" if has_rating else "") + "</tr>")
        more = len(self.d.tables[name]) - len(frame)
        foot = f'<p class="help">+{more} {escape(s("more"))}</p>' if more > 0 else ""
        return (f"<h3>{escape(title)}</h3><table><tr><th>{escape(head)}</th><th class=n>{escape(s('items'))}</th>"
                f"<th class=n>{escape(s('share'))}</th><th class=n>{escape(s('share_negative'))}</th>"
                f"<th class=n>{escape(s('net_sentiment'))}</th>"
                + (f"<th class=n>{escape(s('mean_rating'))}</th>" if has_rating else "")
                + "</tr>" + "".join(rows) + "</table>" + foot)

    def _phase_columns(self, phases_present: list) -> list[tuple[str | None, list]]:
        """[(stage, [phase, ...]), ...] in journey order; phases outside any stage last."""
        order = [p for p in self.t.phase_ids if p in phases_present] + sorted(
            p for p in phases_present if isinstance(p, str) and p not in self.t.phase_ids)
        if any(_nan(p) for p in phases_present):
            order.append(None)
        stage_of = {}
        jp = self.d.tables["journey_phases"]
        for r in jp.itertuples():
            stage_of[None if _nan(r.phase) else r.phase] = None if _nan(r.stage) else r.stage
        stages = [st for st in self.t.stage_ids]
        for p in order:
            st = stage_of.get(p)
            if st and st not in stages:
                stages.append(st)
        groups = [(st, [p for p in order if stage_of.get(p) == st]) for st in stages]
        groups = [g for g in groups if g[1]]
        rest = [p for p in order if not stage_of.get(p)]
        if rest:
            groups.append((None, rest))
        return groups

    def journey(self) -> str:
        s = self.s
        cells = self.d.tables["journey_map"]
        if cells.empty:
            return self.section("journey", s("journey"), self.empty("no_journey"))
        phase_tot = {None if _nan(r.phase) else r.phase: r for r in self.d.tables["journey_phases"].itertuples()}
        tp_tot = {None if _nan(r.touchpoint) else r.touchpoint: r for r in self.d.tables["journey_touchpoints"].itertuples()}
        groups = self._phase_columns(list(phase_tot))
        phases = [p for _, ps in groups for p in ps]
        present = set(tp_tot)
        touchpoints = [t for t in self.t.touchpoint_ids if t in present] + sorted(
            t for t in present if t is not None and t not in self.t.touchpoint_ids)
        if None in present:
            touchpoints.append(None)
        by_key = {(None if _nan(r.phase) else r.phase, None if _nan(r.touchpoint) else r.touchpoint): r
                  for r in cells.itertuples()}
        head1 = ["<tr><th></th>"]
        for i, (stage, ps) in enumerate(groups):
            name = self.lab("stage", stage) if stage else s("outside_journey")
            cls = f"band b{i % 3 + 1}" if stage else "band b3"
            head1.append(f'<th class="{cls}" colspan="{len(ps)}">{escape(name)}</th>')
        head1.append('<th></th></tr>')
        head2 = ["<tr><th></th>"] + [f'<th class="ph">{escape(self.lab("phase", p))}</th>' for p in phases] + [
            f'<th class="ph">{escape(s("total"))}</th></tr>']
        body = []
        for tp in touchpoints:
            row = [f'<tr><th class="tp" title="{escape(self.lab("touchpoint", tp))}">{escape(self.lab("touchpoint", tp))}</th>']
            for ph in phases:
                row.append(self._cell(by_key.get((ph, tp)), ph, tp))
            row.append(self._cell(tp_tot.get(tp), "*", tp, total=True))
            body.append("".join(row) + "</tr>")
        tot = [f'<tr class="tot"><th class="tp">{escape(s("total"))}</th>']
        for ph in phases:
            tot.append(self._cell(phase_tot.get(ph), ph, "*", total=True))
        tot.append("<td></td></tr>")
        body.append("".join(tot))
        hidden = len([t for t in self.t.touchpoint_ids if t not in present])
        legend = ('<div class="legend">' + escape(s("net_sentiment")) + ": "
                  + "".join(f'<span class="sw" style="background:{charts.net_color(v)}"></span>{s.net(v) if v in (-1.0, 0.0, 1.0) else ""}'
                            for v in (-1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0)) + "</div>")
        note = f'<p class="help">{escape(s("journey_hidden", n=hidden))}</p>' if hidden else ""
        layers, switch = self._signal_layers(head1, head2, phases, touchpoints)
        return self.section(
            "journey", s("journey"),
            f'<p class="help">{escape(s("journey_help", min=self.o.min_cell))}</p>', switch,
            '<div class="scroll"><table class="jmap" id="journey-map">', *head1, *head2, *body, "</table>",
            *layers, "</div>", legend, note)

    def _signal_layers(self, head1: list[str], head2: list[str], phases: list, touchpoints: list) -> tuple[list[str], str]:
        """The journey map's second layer: share of churn-risk / high-effort items per cell (hidden
        tables the layer buttons show), and the buttons; nothing when no record has the signals."""
        s = self.s
        sig = self.d.tables["journey_signals"]
        if sig.empty:
            return [], f'<p class="help">{escape(s("no_signals"))}</p>'
        key = lambda v: None if _nan(v) else v  # noqa: E731
        cells = {(key(r.phase), key(r.touchpoint)): r for r in sig[sig.level == "cell"].itertuples()}
        by_tp = {key(r.touchpoint): r for r in sig[sig.level == "touchpoint"].itertuples()}
        by_phase = {key(r.phase): r for r in sig[sig.level == "phase"].itertuples()}
        tables = []
        for layer in ("churn", "effort"):
            body = []
            for tp in touchpoints:
                row = [f'<tr><th class="tp">{escape(self.lab("touchpoint", tp))}</th>']
                row += [self._signal_cell(cells.get((ph, tp)), layer, ph, tp) for ph in phases]
                row.append(self._signal_cell(by_tp.get(tp), layer, "*", tp))
                body.append("".join(row) + "</tr>")
            body.append(f'<tr class="tot"><th class="tp">{escape(s("total"))}</th>'
                        + "".join(self._signal_cell(by_phase.get(ph), layer, ph, "*") for ph in phases) + "<td></td></tr>")
            tables.append(f'<table class="jmap" id="journey-{layer}" hidden>' + "".join(head1 + head2 + body) + "</table>")
        buttons = "".join(f'<button type="button" data-layer="{t}" aria-pressed="{"true" if t == "journey-map" else "false"}">'
                          f"{escape(s(k))}</button>"
                          for t, k in (("journey-map", "layer_sentiment"), ("journey-churn", "layer_churn"),
                                       ("journey-effort", "layer_effort")))
        return tables, (f'<div class="layers" role="group">{buttons}</div>'
                        f'<p class="help">{escape(s("layer_help"))}</p>')

    def _signal_cell(self, r, layer: str, phase, touchpoint) -> str:
        s = self.s
        attrs = f'data-phase="{escape(phase or "")}" data-touchpoint="{escape(touchpoint or "")}"'
        if r is None:
            return f'<td class="hcell none" {attrs}></td>'
        share = getattr(r, f"share_{layer}")
        n = int(getattr(r, f"{layer}_items"))
        # Red as the share grows: 0 grey, 50% and more full red (net colour scale, negative side).
        bg = charts.net_color(None if _nan(share) else -float(share), pale=r.with_signals < self.o.min_cell)
        where = " × ".join(x for x in (self.lab("touchpoint", touchpoint) if touchpoint != "*" else "",
                                       self.lab("phase", phase) if phase != "*" else "") if x)
        tip = f"{where}\n{s('layer_' + layer)}: {s.int(n)} / {s.int(r.with_signals)} ({s.pct(share)})"
        return (f'<td class="hcell" {attrs} data-share="{"" if _nan(share) else round(100 * share)}" '
                f'style="background:{bg};color:{charts.ink_for(bg)}" data-tip="{escape(tip)}">'
                f"<b>{s.pct(share)}</b><br><small>{s.int(n)}</small></td>")

    def _cell(self, r, phase, touchpoint, total: bool = False) -> str:
        s = self.s
        ph_attr = "" if phase is None else phase
        tp_attr = "" if touchpoint is None else touchpoint
        attrs = f'data-phase="{escape(ph_attr)}" data-touchpoint="{escape(tp_attr)}"'
        if r is None:
            return f'<td class="cell none" {attrs} data-items="0"></td>'
        net = None if _nan(r.net_sentiment) else float(r.net_sentiment)
        bg = charts.net_color(net, pale=r.items < self.o.min_cell)
        ink = charts.ink_for(bg)
        emo = None if _nan(r.dominant_emotion) else r.dominant_emotion
        emo_label = self.lab("emotion", emo) if emo else ""
        where = " × ".join(x for x in (
            self.lab("touchpoint", touchpoint) if touchpoint != "*" else "",
            self.lab("phase", phase) if phase != "*" else "") if x)
        tip = (f"{where}\n{s.int(r.items)} {s('items_word')} · {s('net_sentiment')} {s.net(net)}\n"
               f"{s('share_negative')} {s.pct(r.share_negative)} · {s('share_positive')} {s.pct(r.share_positive)}")
        if emo:
            tip += f"\n{s('dominant_emotion')}: {emo_label} ({s.pct(r.dominant_share)})"
        if not _nan(r.mean_rating):
            tip += f"\n{s('mean_rating')}: {s.num(r.mean_rating, 2)}"
        cls = "cell tot" if total else "cell"
        short = emo_label.split(" / ")[0] if emo_label else ""
        return (f'<td class="{cls}" {attrs} data-items="{int(r.items)}" data-net="{"" if net is None else round(100 * net)}" '
                f'style="background:{bg};color:{ink}" title="{escape(tip)}" data-tip="{escape(tip)}">'
                f'<b class="items">{s.int(r.items)}</b><span class="net">{s.net(net)}</span>'
                f"<small>{escape(short)}</small></td>")

    def curve(self) -> str:
        s = self.s
        curve = self.d.tables["emotion_curve"]
        curve = curve[curve["stage"].notna()]
        if curve.empty:
            return self.section("curve", s("curve"), self.empty("no_journey"))
        phases = list(dict.fromkeys(curve["phase"]))
        emotions = [e for e in self.t.emotion_ids if e != self.t.neutral_emotion and e in set(curve["emotion"])]
        series = []
        for e in emotions:
            sub = curve[curve["emotion"] == e].set_index("phase")
            vals, tips = [], []
            for p in phases:
                share = float(sub["share"].get(p, 0.0)) if p in sub.index else 0.0
                items = int(sub["items"].get(p, 0)) if p in sub.index else 0
                vals.append(share)
                tips.append(f"{self.lab('emotion', e)} · {self.lab('phase', p)}: {s.pct(share, 1)} ({s.int(items)} {s('items_word')})")
            series.append((self.lab("emotion", e), self.emotion_color(e), vals, tips))
        return self.section("curve", s("curve"), f'<p class="help">{escape(s("curve_help"))}</p>',
                            charts.lines([self.lab("phase", p) for p in phases], series))

    def pain(self) -> str:
        s = self.s
        pain = self.d.tables["pain_points"]
        if pain.empty:
            return self.section("pain", s("pain"), self.empty("no_topics"))
        grain, recent = self.grain_words()
        spark = self.d.tables["topic_trends"]
        periods = sorted(spark["period"].unique()) if not spark.empty else []
        recent_start = self.d.meta.get("recent_start")
        recent_from = None
        if recent_start is not None and periods:
            recent_from = next((i for i, p in enumerate(periods) if pd.Timestamp(p) >= pd.Timestamp(recent_start)), None)
        out = [f'<p class="help">{escape(s("pain_help", recent=recent, grain=grain))}</p>']
        for rank, r in enumerate(pain.itertuples(), 1):
            values = list(spark.loc[spark["topic"] == r.topic, "items"]) if periods else []
            ptips = ", ".join(f"{s.period(pd.Timestamp(p).to_pydatetime(), self.d.meta['grain'])}: {v}"
                              for p, v in zip(periods, values))
            trend = r.trend_points
            arrow = "" if _nan(trend) else ("▲ " if trend > 0.05 else ("▼ " if trend < -0.05 else ""))
            tcls = "" if _nan(trend) else ("up" if trend > 0.05 else ("down" if trend < -0.05 else ""))
            where_parts = [self._where(r.top_touchpoints, "touchpoint"), self._where(r.top_phases, "phase")]
            where = " · ".join(w for w in where_parts if w)
            badge = f' <span class="badge">{escape(s("emerging"))}</span>' if r.emerging else ""
            kw = f'<span class="kw">{escape(r.keywords.replace(";", ","))}</span>' if r.keywords else ""
            quotes = "".join(f"<blockquote>“{escape(q)}”</blockquote>"
                             for q in (getattr(r, f"quote_{i + 1}") for i in range(self.o.quotes)) if not _nan(q))
            out.append(
                f'<div class="pain" data-topic="{escape(str(r.topic))}"><div class="head"><span class="rank">{rank}.</span>'
                f'<span class="name">{escape(str(r.label))}</span>{badge}{kw}</div>'
                f'<div class="facts"><span>{escape(s("items"))}: <b>{s.int(r.items)}</b></span>'
                f'<span>{escape(s("share"))}: <b>{s.pct(r.share, 1)}</b></span>'
                f'<span>{escape(s("net_sentiment"))}: {self.chip(r.net_sentiment)}</span>'
                f'<span>{escape(s("trend"))}: <b class="{tcls}">{arrow}{s.signed(trend, 1)} pts</b></span>'
                f'{charts.sparkline(values, recent_from, tip=ptips) if values else ""}'
                + (f'<span>{escape(s("where"))}: {escape(where)}</span>' if where else "")
                + f"</div>{quotes}</div>")
        return self.section("pain", s("pain"), *out)

    def _where(self, text, kind: str) -> str:
        if _nan(text) or not text:
            return ""
        parts = []
        for chunk in str(text).split("; "):
            key, _, n = chunk.rpartition(" (")
            parts.append(f"{self.lab(kind, key)} ({n}")
        return ", ".join(parts)

    def trends(self) -> str:
        s = self.s
        tr = self.d.tables["trends"]
        if len(tr) < 2:
            return self.section("trends", s("trends"), self.empty("no_trend"))
        grain, recent = self.grain_words()
        g = self.d.meta["grain"]
        labels = [s.period(pd.Timestamp(p).to_pydatetime(), g) for p in tr["period"]]
        tips = [f"{lab}: {s.int(r.items)} {s('items_word')} · {s('net_sentiment')} {s.net(r.net_sentiment)} · "
                f"{s('share_negative')} {s.pct(r.share_negative)}" for lab, r in zip(labels, tr.itertuples())]
        chart = charts.bars_and_line(labels, list(tr["items"]), [None if _nan(v) else float(v) for v in tr["net_sentiment"]],
                                     tips, s("items"), s("net_sentiment"))
        em = self.d.tables["emerging_topics"]
        em = em[em["emerging"]].head(10)
        if em.empty:
            emerging = f'<p class="help">{escape(s("no_emerging")) if self.d.meta.get("topics") else escape(s("no_topics"))}</p>'
        else:
            rows = "".join(
                f"<tr><td>{escape(str(r.label))} <span class=\"badge\">{escape(s('emerging'))}</span></td>"
                f"<td class=n>{s.int(r.recent_items)}</td><td class=n>{s.pct(r.before_share, 1)}</td>"
                f"<td class=n>{s.pct(r.recent_share, 1)}</td>"
                f"<td class=n>{'∞' if math.isinf(r.lift) else s.num(r.lift, 1) + '×'}</td></tr>" for r in em.itertuples())
            emerging = (f"<table><tr><th>{escape(s('topic'))}</th><th class=n>{escape(s('recent_items'))}</th>"
                        f"<th class=n>{escape(s('before_share'))}</th><th class=n>{escape(s('recent_share'))}</th>"
                        f"<th class=n>{escape(s('lift'))}</th></tr>{rows}</table>")
        return self.section(
            "trends", s("trends"),
            f'<p class="help">{escape(s("trend_help", grain=grain, recent=recent, lift=s.num(self.o.emerging_lift, 0), min=self.o.emerging_min))}</p>',
            chart, f"<h3>{escape(s('emerging_topics'))}</h3>", emerging)

    def impact(self) -> str:
        s = self.s
        if not self.d.meta.get("rated"):
            return self.section("impact", s("impact"), self.empty("no_rating"))
        imp = self.d.tables["impact"]
        if imp.empty:
            untagged = not self.d.meta.get("journey_items") and not self.d.meta.get("topics")
            return self.section("impact", s("impact"), self.empty("no_impact_tags" if untagged else "no_impact"))
        ov = self.d.tables["overview"].iloc[0]
        top = imp.head(15)
        kind_label = {"touchpoint": s("touchpoint"), "topic": s("topic")}
        rows, trs = [], []
        for r in top.itertuples():
            name = f"{kind_label.get(r.kind, r.kind)}: {r.label}"
            tip = (f"{name}\n{s.int(r.n_with)} {s('items_word')} · {s('rating_with')} {s.num(r.mean_with, 2)} · "
                   f"{s('rating_without')} {s.num(r.mean_without, 2)}\n{s('impact_col')}: {s.signed(r.impact, 3)}")
            rows.append((name, float(r.impact), s.signed(r.impact, 3), tip))
            trs.append(f"<tr><td>{escape(kind_label.get(r.kind, r.kind))}</td><td>{escape(str(r.label))}</td>"
                       f"<td class=n>{s.int(r.n_with)}</td><td class=n>{s.num(r.mean_with, 2)}</td>"
                       f"<td class=n>{s.num(r.mean_without, 2)}</td><td class=n>{s.signed(r.gap, 2)}</td>"
                       f"<td class=n><b>{s.signed(r.impact, 3)}</b></td></tr>")
        table = (f"<table><tr><th>{escape(s('kind'))}</th><th></th><th class=n>{escape(s('mentions'))}</th>"
                 f"<th class=n>{escape(s('rating_with'))}</th><th class=n>{escape(s('rating_without'))}</th>"
                 f"<th class=n>{escape(s('gap'))}</th><th class=n>{escape(s('impact_col'))}</th></tr>"
                 + "".join(trs) + "</table>")
        help_text = s("impact_help", overall=s.num(ov["mean_rating"], 2), n=s.int(ov["rated"]))
        return self.section("impact", s("impact"), f'<p class="help">{escape(help_text)}</p>',
                            charts.diverging(rows), f'<div class="scroll">{table}</div>')

    def chats(self) -> str:
        s = self.s
        ch = self.d.tables["chats"]
        if ch.empty or int(ch["conversations"].iloc[0]) == 0:
            return self.section("chats", s("chats"), self.empty("no_chats"))
        allr = ch.iloc[0]
        short = int(allr["conversations"] - allr["compared"])
        help_text = s("chats_help", short=s.int(short))
        parts = []
        if allr["compared"]:
            for key, color in (("improved", "#1b8c48"), ("unchanged", "#b8c2cc"), ("worsened", "#c4342d")):
                parts.append((s(key), float(allr[key]), color,
                              f"{s(key)}: {s.int(allr[key])} / {s.int(allr['compared'])} ({s.pct(allr['share_' + key])})"))
        kpis = ('<div class="kpis">'
                f'<div class="kpi"><div class="v">{s.pct(allr["share_improved"])}</div><div class="k">{escape(s("improved"))}</div></div>'
                f'<div class="kpi"><div class="v">{s.pct(allr["share_worsened"])}</div><div class="k">{escape(s("worsened"))}</div></div>'
                f'<div class="kpi"><div class="v">{s.int(allr["compared"])}</div><div class="k">{escape(s("conversations"))}</div></div>'
                "</div>")
        trs = []
        for r in ch.itertuples():
            group = s("total") if r.group == "all" else r.group.split("=", 1)[-1] or s("none_value")
            trs.append(f"<tr><td>{escape(group)}</td><td class=n>{s.int(r.compared)}</td>"
                       f"<td class=n>{s.pct(r.share_improved)}</td><td class=n>{s.pct(r.share_unchanged)}</td>"
                       f"<td class=n>{s.pct(r.share_worsened)}</td><td class=n>{s.signed(r.mean_first, 2)}</td>"
                       f"<td class=n>{s.signed(r.mean_last, 2)}</td></tr>")
        table = (f"<table><tr><th>{escape(s('language'))}</th><th class=n>{escape(s('conversations'))}</th>"
                 f"<th class=n>{escape(s('improved'))}</th><th class=n>{escape(s('unchanged'))}</th>"
                 f"<th class=n>{escape(s('worsened'))}</th><th class=n>{escape(s('mood_first'))}</th>"
                 f"<th class=n>{escape(s('mood_last'))}</th></tr>" + "".join(trs) + "</table>")
        return self.section("chats", s("chats"), f'<p class="help">{escape(help_text)}</p>', kpis,
                            charts.stacked(parts) if parts else "", "<h3></h3>", table)

    # -- what a CX lead asks next -------------------------------------------

    def costs(self) -> str:
        s = self.s
        cc = self.d.tables["contact_costs"]
        total = cc[cc.kind == "total"]
        if total.empty or int(total["contacts"].iloc[0]) == 0:
            return self.section("costs", s("costs"), self.empty("no_contacts"))
        cur = self.d.meta.get("currency") or ""
        money = lambda v: f"{s.num(v, 0 if abs(v) >= 1000 else 2)} {cur}".strip()  # noqa: E731
        t = total.iloc[0]
        unpriced = int(t["contacts"] - t["priced_contacts"])
        kpis = ('<div class="kpis">'
                f'<div class="kpi"><div class="v">{escape(money(t["cost"]))}</div><div class="k">{escape(s("cost_total"))}</div></div>'
                f'<div class="kpi"><div class="v">{s.int(t["contacts"])}</div><div class="k">{escape(s("contacts"))}</div></div>'
                f'<div class="kpi"><div class="v">{s.int(t["items"])}</div><div class="k">{escape(s("items_with_contacts"))}</div></div>'
                "</div>")
        costs = self.d.meta.get("unit_costs") or {}
        assumptions = ", ".join(f"{self._channel(k)} {money(v) if v is not None else s('not_priced')}"
                                for k, v in costs.items())
        help_text = s("costs_help", assumptions=assumptions) + (" " + s("unpriced", n=s.int(unpriced)) if unpriced else "")
        parts = [f'<p class="help">{escape(help_text)}</p>', kpis]
        for kind, title in (("channel", s("by_contact_channel")), ("topic", s("by_topic")), ("touchpoint", s("by_touchpoint"))):
            rows = cc[cc.kind == kind].head(10)
            if rows.empty:
                continue
            bars = [(self._channel(r.key) if kind == "channel" else str(r.label), float(r.cost), money(r.cost),
                     f"{self._channel(r.key) if kind == 'channel' else r.label}: {s.int(r.contacts)} {s('contacts_word')} "
                     f"· {s.int(r.items)} {s('items_word')} · {money(r.cost)}") for r in rows.itertuples()]
            # Room right of the longest bar for its amount and currency.
            parts.append(f"<h3>{escape(title)}</h3>"
                         + charts.hbars(bars, color="#b35c00", vmax=1.3 * max(v for _, v, _, _ in bars) or 1))
        return self.section("costs", s("costs"), *parts)

    def _channel(self, key) -> str:
        return self.s("ch_" + str(key)) if self.s.has("ch_" + str(key)) else str(key)

    def churn(self) -> str:
        s = self.s
        if not self.d.meta.get("signal_items"):
            return self.section("churn", s("churn"), self.empty("no_signals"))
        m = self.d.meta
        kpis = ('<div class="kpis">'
                f'<div class="kpi"><div class="v">{s.pct(m["churn_items"] / m["signal_items"])}</div><div class="k">{escape(s("layer_churn"))}</div></div>'
                f'<div class="kpi"><div class="v">{s.pct(m["effort_items"] / max(m["effort_known"], 1))}</div><div class="k">{escape(s("layer_effort"))}</div></div>'
                "</div>")
        table = self.d.tables["churn_reasons"]
        body = self._reasons(table, "no_churn") if m["churn_items"] else self.empty("no_churn")
        return self.section("churn", s("churn"), f'<p class="help">{escape(s("churn_help"))}</p>', kpis, body)

    def non_purchase(self) -> str:
        s = self.s
        if not self.d.meta.get("non_purchase_known"):
            return self.section("nonpurchase", s("nonpurchase"), self.empty("no_non_purchase_field"))
        if not self.d.meta.get("non_purchase_items"):
            return self.section("nonpurchase", s("nonpurchase"), self.empty("no_non_purchase"))
        return self.section("nonpurchase", s("nonpurchase"),
                            f'<p class="help">{escape(s("non_purchase_help", n=s.int(self.d.meta["non_purchase_items"])))}</p>',
                            self._reasons(self.d.tables["non_purchase_reasons"], "no_non_purchase"))

    def _reasons(self, table, empty_key: str) -> str:
        s = self.s
        if table.empty:
            return self.empty(empty_key)
        out = []
        for rank, r in enumerate(table.itertuples(), 1):
            name = str(r.label) if not _nan(r.label) else s("no_topic" if r.kind == "topic" else "no_touchpoint")
            quotes = "".join(f"<blockquote>“{escape(q)}”</blockquote>"
                             for q in (getattr(r, f"quote_{i + 1}") for i in range(self.o.quotes)) if not _nan(q))
            out.append(f'<div class="pain reason"><div class="head"><span class="rank">{rank}.</span>'
                       f'<span class="name">{escape(name)}</span><span class="kw">{escape(s(r.kind))}</span></div>'
                       f'<div class="facts"><span>{escape(s("items"))}: <b>{s.int(r.items)}</b></span>'
                       f'<span>{escape(s("share"))}: <b>{s.pct(r.share)}</b></span></div>{quotes}</div>')
        return "".join(out)

    def nps(self) -> str:
        s = self.s
        m = self.d.meta
        if not m.get("nps_items") and not m.get("csat_items"):
            return self.section("nps", s("nps"), self.empty("no_nps"))
        parts, kpis = [], []
        nps = self.d.tables["nps"]
        if m.get("nps_items"):
            a = nps[nps.period.isna()].iloc[0]
            kpis += [(s.signed(a["nps"]), "NPS"), (s.pct(a["promoters"] / a["responses"]), s("promoters")),
                     (s.pct(a["detractors"] / a["responses"]), s("detractors")), (s.int(a["responses"]), s("responses"))]
        csat = self.d.tables["csat"]
        if m.get("csat_items"):
            c = csat[csat.period.isna()].iloc[0]
            kpis += [(s.num(c["mean_csat"], 2), s("mean_csat")), (s.pct(c["share_satisfied"]), s("csat_satisfied"))]
        parts.append('<div class="kpis">' + "".join(
            f'<div class="kpi"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>' for v, k in kpis)
            + "</div>")
        parts.append(f'<p class="help">{escape(s("nps_help"))}</p>')
        trend = nps[nps.period.notna()]
        if len(trend) >= 2:
            g = m["grain"]
            labels = [s.period(pd.Timestamp(p).to_pydatetime(), g) for p in trend["period"]]
            tips = [f"{lab}: NPS {s.signed(r.nps)} · {s.int(r.responses)} {s('responses')}"
                    for lab, r in zip(labels, trend.itertuples())]
            parts.append(f"<h3>{escape(s('nps_trend'))}</h3>" + charts.bars_and_line(
                labels, list(trend["responses"]), [float(v) / 100 for v in trend["nps"]], tips, s("responses"), "NPS"))
        drivers = self.d.tables["nps_drivers"]
        if m.get("nps_items"):
            if drivers.empty:
                parts.append(self.empty("no_nps_drivers"))
            else:
                kind_label = {"touchpoint": s("touchpoint"), "topic": s("topic")}
                rows = [(f"{kind_label.get(r.kind, r.kind)}: {r.label}", float(r.impact), s.signed(r.impact, 1),
                         f"{r.label}\n{s.int(r.n_with)} {s('responses')} · NPS {s.signed(r.mean_with)} vs "
                         f"{s.signed(r.mean_without)}\n{s('nps_points')}: {s.signed(r.impact, 1)}")
                        for r in drivers.head(12).itertuples()]
                parts.append(f"<h3>{escape(s('nps_drivers'))}</h3>"
                             f'<p class="help">{escape(s("nps_drivers_help"))}</p>' + charts.diverging(rows))
        return self.section("nps", s("nps"), *parts)

    def method(self) -> str:
        s = self.s
        return self.section("method", s("method"), f'<p class="help">{escape(s("method_text"))}</p>',
                            f'<p class="help">{escape(s("net_help"))}</p>')
