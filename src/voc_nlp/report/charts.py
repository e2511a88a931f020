"""Small inline SVG charts: no library, no external file.

Every mark carries its values twice: an SVG `<title>` (the browser's native
tooltip, works without JavaScript) and a `data-tip` attribute that the
report's tiny inlined script shows as a styled tooltip.
"""

from __future__ import annotations

import math
from html import escape

# Categorical palette (Okabe–Ito plus two), assigned by taxonomy order.
PALETTE = ["#d55e00", "#e69f00", "#0072b2", "#cc79a7", "#56b4e9", "#009e73", "#8c6bb1", "#999999", "#f0e442",
           "#666666"]
NEG_RGB, MID_RGB, POS_RGB = (196, 52, 45), (238, 238, 238), (27, 140, 72)


def net_color(net: float | None, pale: bool = False) -> str:
    """Diverging colour for a net sentiment in [-1, 1] (grey when unknown)."""
    if net is None or (isinstance(net, float) and math.isnan(net)):
        return "#f4f4f4"
    t = max(-1.0, min(1.0, float(net)))
    # Stretch small values: |net| 0.5 is already a strong signal.
    t = math.copysign(min(1.0, abs(t) / 0.6), t)
    end = POS_RGB if t > 0 else NEG_RGB
    k = abs(t) * (0.45 if pale else 1.0)
    rgb = tuple(round(m + (e - m) * k) for m, e in zip(MID_RGB, end))
    return "#%02x%02x%02x" % rgb


def ink_for(background: str) -> str:
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return "#111" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#fff"


def _tip(text: str) -> str:
    return f' data-tip="{escape(text)}"'


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def hbars(rows: list[tuple[str, float, str, str]], color: str = "#0072b2", width: int = 540,
          bar_h: int = 22, label_w: int = 230, vmax: float | None = None) -> str:
    """Horizontal bars. rows: (label, value, value text, tooltip)."""
    if not rows:
        return ""
    vmax = vmax or max(v for _, v, _, _ in rows) or 1
    h = len(rows) * (bar_h + 6) + 4
    plot_w = width - label_w - 60
    parts = [f'<svg class="chart" viewBox="0 0 {width} {h}" width="{width}" role="img">']
    for i, (label, value, text, tip) in enumerate(rows):
        y = 2 + i * (bar_h + 6)
        w = max(1.0, plot_w * value / vmax)
        parts.append(
            f'<g class="mark"{_tip(tip)}>{_title(tip)}'
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" class="lbl">{escape(_short(label, 30))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{color}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" class="val">{escape(text)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def diverging(rows: list[tuple[str, float, str, str]], width: int = 820, bar_h: int = 20,
              label_w: int = 340) -> str:
    """Horizontal bars around zero: negative values red to the left, positive green to the right."""
    if not rows:
        return ""
    neg = max((-v for _, v, _, _ in rows if v < 0), default=0.0)
    pos = max((v for _, v, _, _ in rows if v > 0), default=0.0)
    h = len(rows) * (bar_h + 6) + 8
    plot_w = width - label_w - 20
    # Room for value labels on the sides that have bars; zero where the data puts it.
    room = plot_w - 55 * ((neg > 0) + (pos > 0))
    scale = room / ((neg + pos) or 1)
    zero = label_w + (55 if neg > 0 else 0) + neg * scale
    parts = [f'<svg class="chart" viewBox="0 0 {width} {h}" width="{width}" role="img">',
             f'<line x1="{zero}" y1="0" x2="{zero}" y2="{h}" stroke="#888" stroke-width="1"/>']
    for i, (label, value, text, tip) in enumerate(rows):
        y = 4 + i * (bar_h + 6)
        w = max(1.0, scale * abs(value))
        x = zero - w if value < 0 else zero
        fill = "#c4342d" if value < 0 else "#1b8c48"
        tx, anchor = (x - 5, "end") if value < 0 else (x + w + 5, "start")
        parts.append(
            f'<g class="mark"{_tip(tip)}>{_title(tip)}'
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" class="lbl">{escape(_short(label, 44))}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="2" fill="{fill}"/>'
            f'<text x="{tx:.1f}" y="{y + bar_h * 0.7:.1f}" text-anchor="{anchor}" class="val">{escape(text)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def bars_and_line(labels: list[str], volumes: list[float], nets: list[float | None], tips: list[str],
                  volume_name: str, net_name: str, width: int = 900, height: int = 260) -> str:
    """Volume bars (left axis) with a net-sentiment line (right axis, −100 … +100)."""
    n = len(labels)
    if not n:
        return ""
    left, right, top, bottom = 48, 48, 14, 46
    pw, ph = width - left - right, height - top - bottom
    vmax = nice_max(max(volumes) or 1)
    step = pw / n
    bw = max(2.0, step * 0.7)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img">']
    # Axes: volume ticks on the left, net sentiment on the right.
    for k in range(5):
        v = vmax * k / 4
        y = top + ph - ph * k / 4
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{_compact(v)}</text>'
                     f'<text x="{left + pw + 6}" y="{y + 4:.1f}" class="axis">{-100 + 50 * k:+d}</text>')
    label_every = max(1, math.ceil(n / 14))
    points = []
    for i, (label, vol, net, tip) in enumerate(zip(labels, volumes, nets, tips)):
        x = left + i * step + (step - bw) / 2
        h = ph * vol / vmax
        parts.append(f'<g class="mark"{_tip(tip)}>{_title(tip)}'
                     f'<rect x="{x:.1f}" y="{top + ph - h:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="#9ecae1"/>'
                     f'<rect x="{left + i * step:.1f}" y="{top}" width="{step:.1f}" height="{ph}" fill="transparent"/></g>')
        if i % label_every == 0:
            parts.append(f'<text x="{left + i * step + step / 2:.1f}" y="{top + ph + 16}" text-anchor="middle" '
                         f'class="axis">{escape(label)}</text>')
        if net is not None and not (isinstance(net, float) and math.isnan(net)):
            points.append((left + i * step + step / 2, top + ph * (1 - (net + 1) / 2), tip))
    if points:
        parts.append('<polyline fill="none" stroke="#333" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points) + '"/>')
        for x, y, tip in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#333" class="mark"{_tip(tip)}>{_title(tip)}</circle>')
    parts.append(f'<rect x="{left}" y="{height - 16}" width="12" height="10" fill="#9ecae1"/>'
                 f'<text x="{left + 16}" y="{height - 7}" class="axis">{escape(volume_name)}</text>'
                 f'<line x1="{left + 160}" x2="{left + 178}" y1="{height - 11}" y2="{height - 11}" stroke="#333" stroke-width="2"/>'
                 f'<text x="{left + 184}" y="{height - 7}" class="axis">{escape(net_name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def lines(labels: list[str], series: list[tuple[str, str, list[float], list[str]]], width: int = 900,
          height: int = 300) -> str:
    """Several lines over categorical x; y is a share in [0, ymax]. series: (name, colour, values, tips)."""
    n = len(labels)
    if not n or not series:
        return ""
    left, right, top, bottom = 44, 230, 14, 34
    pw, ph = width - left - right, height - top - bottom
    ymax = max((v for _, _, vals, _ in series for v in vals if v == v), default=0) or 0.01
    ymax = min(1.0, nice_max(ymax))
    step = pw / max(1, n - 1) if n > 1 else 0
    xs = [left + (i * step if n > 1 else pw / 2) for i in range(n)]
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img">']
    for k in range(5):
        y = top + ph - ph * k / 4
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{100 * ymax * k / 4:.3g}%</text>')
    for x, label in zip(xs, labels):
        parts.append(f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle" class="axis">{escape(_short(label, 30))}</text>')
    for j, (name, color, values, tips) in enumerate(series):
        pts = [(x, top + ph * (1 - v / ymax)) for x, v in zip(xs, values)]
        parts.append(f'<g class="series"><polyline fill="none" stroke="{color}" stroke-width="2.5" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        for (x, y), tip in zip(pts, tips):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{color}" class="mark"{_tip(tip)}>{_title(tip)}</circle>')
        ly = top + 12 + j * 20
        parts.append(f'<rect x="{left + pw + 16}" y="{ly - 9}" width="14" height="10" fill="{color}"/>'
                     f'<text x="{left + pw + 36}" y="{ly}" class="axis">{escape(_short(name, 30))}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: list[float], recent_from: int | None = None, width: int = 110, height: int = 26,
              tip: str = "") -> str:
    """A tiny bar sparkline; bars from index `recent_from` on are darker."""
    if not values:
        return ""
    vmax = max(values) or 1
    step = width / len(values)
    parts = [f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
             f'{_tip(tip) if tip else ""}>{_title(tip) if tip else ""}']
    for i, v in enumerate(values):
        h = max(1.0 if v else 0.0, (height - 2) * v / vmax)
        fill = "#c4342d" if recent_from is not None and i >= recent_from else "#9aa5b1"
        parts.append(f'<rect x="{i * step + 0.5:.1f}" y="{height - h:.1f}" width="{max(1.0, step - 1):.1f}" '
                     f'height="{h:.1f}" fill="{fill}"/>')
    parts.append("</svg>")
    return "".join(parts)


def stacked(parts_in: list[tuple[str, float, str, str]], width: int = 760, height: int = 34) -> str:
    """One horizontal 100% bar. parts: (label, share, colour, tooltip)."""
    total = sum(s for _, s, _, _ in parts_in) or 1
    x = 0.0
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img">']
    for label, share, color, tip in parts_in:
        w = width * share / total
        if w <= 0:
            continue
        text = f"{label} {round(100 * share / total)}%" if w > 90 else (f"{round(100 * share / total)}%" if w > 28 else "")
        parts.append(f'<g class="mark"{_tip(tip)}>{_title(tip)}<rect x="{x:.1f}" y="0" width="{w:.1f}" '
                     f'height="{height}" fill="{color}"/><text x="{x + w / 2:.1f}" y="{height / 2 + 5:.1f}" '
                     f'text-anchor="middle" fill="{ink_for(color)}" class="val">{escape(text)}</text></g>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def nice_max(value: float, ticks: int = 4) -> float:
    """The smallest 'round' axis maximum >= value divisible into `ticks` round steps."""
    if value <= 0:
        return 1.0
    raw = value / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw - 1e-12:
            return m * mag * ticks
    return 10 * mag * ticks


def _short(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _compact(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.1f}M"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"
