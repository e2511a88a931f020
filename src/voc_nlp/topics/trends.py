"""Topic counts per period and emerging pain points.

    counts = TopicCounts(freq="month")
    counts.add(topic_id, created_at)            # one call per item with a topic
    table = counts.table()                      # DataFrame: topic, period, count, share
    flags = emerging(table)                     # {topic: True/False}

A topic is *emerging* in the latest period when its share of that period's
clustered items is at least `ratio` times its mean share over the earlier
periods, up by at least `min_delta` (absolute share), with at least
`min_count` items in the latest period. A topic absent before and present now
with enough items is emerging too. With a single period nothing is emerging.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where used: the CLI reads FREQS to build its arguments.
FREQS = ("day", "week", "month", "quarter", "year")
NO_DATE = "(no date)"


def period_key(ts, freq: str = "month") -> str:
    """The period a timestamp falls in, as a sortable string ("2026-03", "2026-W09")."""
    import pandas as pd

    if ts is None or (isinstance(ts, float) and ts != ts) or ts is pd.NaT:
        return NO_DATE
    ts = pd.Timestamp(ts)
    if pd.isna(ts):
        return NO_DATE
    if freq == "day":
        return ts.strftime("%Y-%m-%d")
    if freq == "week":
        year, week, _ = ts.isocalendar()
        return f"{year}-W{week:02d}"
    if freq == "month":
        return ts.strftime("%Y-%m")
    if freq == "quarter":
        return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"
    if freq == "year":
        return f"{ts.year}"
    raise ValueError(f"unknown period {freq!r} ({', '.join(FREQS)})")


class TopicCounts:
    """Streaming counter of items per (topic, period); -1 counts as unassigned."""

    def __init__(self, freq: str = "month"):
        if freq not in FREQS:
            raise ValueError(f"unknown period {freq!r} ({', '.join(FREQS)})")
        self.freq = freq
        self.counts: Counter = Counter()

    def add(self, topic_id: int, created_at=None, n: int = 1) -> None:
        self.counts[(int(topic_id), period_key(created_at, self.freq))] += n

    def table(self) -> pd.DataFrame:
        """topic, period, count, share (of the period's clustered items, unassigned included)."""
        import pandas as pd

        rows = [{"topic": t, "period": p, "count": c} for (t, p), c in self.counts.items()]
        frame = pd.DataFrame(rows, columns=["topic", "period", "count"])
        totals = frame.groupby("period")["count"].transform("sum")
        frame["share"] = (frame["count"] / totals).astype(float)
        return frame.sort_values(["period", "topic"], ignore_index=True)


def emerging(table: pd.DataFrame, ratio: float = 2.0, min_delta: float = 0.02, min_count: int = 5) -> dict[int, bool]:
    """Topic -> emerging flag in the latest dated period (see module docstring)."""
    dated = table[table["period"] != NO_DATE]
    periods = sorted(dated["period"].unique())
    topics = sorted(int(t) for t in table["topic"].unique() if t >= 0)
    if len(periods) < 2:
        return {t: False for t in topics}
    latest, earlier = periods[-1], periods[:-1]
    share = dated.pivot_table(index="topic", columns="period", values="share", fill_value=0.0)
    count = dated.pivot_table(index="topic", columns="period", values="count", fill_value=0)
    flags = {}
    for t in topics:
        now = float(share.loc[t, latest]) if t in share.index else 0.0
        n_now = int(count.loc[t, latest]) if t in count.index else 0
        before = float(share.loc[t, earlier].mean()) if t in share.index else 0.0
        flags[t] = bool(n_now >= min_count and now - before >= min_delta and now >= ratio * before)
    return flags


def per_period(table: pd.DataFrame, topic: int) -> dict[str, int]:
    rows = table[table["topic"] == topic]
    return {str(p): int(c) for p, c in zip(rows["period"], rows["count"])}
