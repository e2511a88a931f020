"""Speed, size and memory of `voc-nlp report` on N synthetic enriched records.

    python scripts/bench_report.py [--rows 1000000] [--keep DIR] [--lang en]

Synthesises N enriched records with every column filled the way the pipeline
fills them (journey phase and touchpoints from the taxonomy, aspect sentiment,
pain-point topics with two emerging ones, ratings, NPS on surveys and CSAT on
chats, chat units with speakers and their mood fields, churn and effort
signals, non-purchase, contacts by channel),
vectorised with numpy and written straight to Parquet with the output schema
(no NLP). Then runs `voc-nlp report` on them in a child process and prints
seconds, HTML size and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.taxonomy import Taxonomy  # noqa: E402
from voc_nlp.schema import ARROW_SCHEMA, SCHEMA_VERSION, UNIT_TYPE  # noqa: E402

PHRASES = {
    "en": ["It took far too long and nobody answered.", "Really happy with how this went, thank you!",
           "Not sure what to think, it was okay I guess.", "Third time this happens, I am fed up.",
           "The team sorted it out quickly, great job.", "Why is this so complicated?"],
    "fr": ["Toujours pas de réponse, c'est inadmissible.", "Super expérience, merci beaucoup !",
           "Bof, rien de spécial à signaler.", "Troisième fois que ça arrive, j'en ai assez.",
           "Problème réglé rapidement, bravo à l'équipe.", "Pourquoi est-ce si compliqué ?"],
}


def _list(offsets, values, type_=None):
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=type_)


def _offsets(lengths):
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)


def synthesise(n: int, seed: int = 7, start: int = 0) -> pa.Table:
    """N enriched records as an Arrow table with exactly ARROW_SCHEMA."""
    rng = np.random.default_rng(seed + start)
    tax = Taxonomy.load()
    emotions = [e for e in tax.emotion_ids if e != tax.neutral_emotion]
    n_neg_emotions = max(1, len(emotions) - 2)  # taxonomy order: negative emotions first, then delight, gratitude
    journey_phases = [p for p in tax.phases if p.stage] or []
    phase_ids = np.array([p.id for p in journey_phases] or ["phase_a", "phase_b", "phase_c"])
    stage_of = {p.id: p.stage for p in journey_phases}
    stages = np.array([stage_of.get(p) for p in phase_ids], dtype=object)
    tps = tax.touchpoints or []
    tp_ids = np.array([t.id for t in tps] or [f"touchpoint_{i}" for i in range(12)])
    tp_phase = np.array([int(np.where(phase_ids == t.phase)[0][0]) if t.phase in phase_ids else 0 for t in tps]
                        or list(rng.integers(0, len(phase_ids), len(tp_ids))))

    # Topics: 30 pain points, each about one touchpoint; Zipf-like sizes; topics 3 and 7 emerge.
    n_topics = 30
    topic_tp = rng.integers(0, len(tp_ids), n_topics)
    topic_w = 1 / np.arange(1, n_topics + 1) ** 0.8

    days = rng.integers(0, 365, n)
    seconds = rng.integers(0, 86400, n)
    t0 = np.datetime64("2025-07-01T00:00:00", "us")
    created = t0 + (days * 86400 + seconds).astype("timedelta64[s]").astype("timedelta64[us]")
    recent = days >= 304  # the last two months
    lang = rng.choice(np.array(["en", "fr", "de", "es"]), n, p=[0.64, 0.33, 0.015, 0.015])
    channel = rng.choice(np.array(["email_survey", "twitter", "product_review", "app_review", "chat"]), n,
                         p=[0.34, 0.22, 0.18, 0.14, 0.12])
    is_chat = channel == "chat"
    rated = np.isin(channel, ["email_survey", "product_review", "app_review"])

    has_topic = rng.random(n) < 0.45
    w_recent = topic_w.copy()
    w_recent[[3, 7]] *= 6
    topic = np.where(recent, rng.choice(n_topics, n, p=w_recent / w_recent.sum()),
                     rng.choice(n_topics, n, p=topic_w / topic_w.sum()))
    topic = np.where(has_topic, topic, -1)
    pain = has_topic & (rng.random(n) < 0.9)
    u = rng.random(n)
    sentiment_idx = np.where(pain, np.where(u < 0.85, 0, 1), np.where(u < 0.12, 0, np.where(u < 0.5, 1, 2)))
    labels = np.array(["negative", "neutral", "positive"])
    sentiment = labels[sentiment_idx]
    score = np.clip((sentiment_idx - 1) * 0.6 + rng.normal(0, 0.2, n), -1, 1).astype(np.float32)
    rating = np.where(rated, np.clip(np.round(3 + 1.6 * score + rng.normal(0, 0.7, n)), 1, 5), np.nan)

    # Emotions: one or two per item, by sentiment.
    neg_e = rng.integers(0, n_neg_emotions, n)
    pos_e = rng.integers(n_neg_emotions, len(emotions), n)
    first = np.where(sentiment_idx == 0, neg_e, np.where(sentiment_idx == 2, pos_e, -1))
    second = np.where((sentiment_idx == 0) & (rng.random(n) < 0.3), (neg_e + 1) % n_neg_emotions, -1)
    emo_names = np.array(emotions + [tax.neutral_emotion], dtype=object)
    n_emo = np.where(first < 0, 1, 1 + (second >= 0))
    emo_vals = np.empty(int(n_emo.sum()), dtype=object)
    off = _offsets(n_emo)
    emo_vals[off[:-1]] = emo_names[np.where(first < 0, len(emotions), first)]
    two = np.where(n_emo == 2)[0]
    emo_vals[off[two] + 1] = emo_names[second[two]]
    all_emotions = tax.emotion_ids
    escore = rng.random((n, len(all_emotions))).astype(np.float32) * 0.3

    # Journey: topic items sit at their touchpoint (and its default phase); others anywhere.
    main_tp = np.where(has_topic, topic_tp[np.maximum(topic, 0)], rng.integers(0, len(tp_ids), n))
    phase_i = np.where(rng.random(n) < 0.8, tp_phase[main_tp], rng.integers(0, len(phase_ids), n))
    unknown = rng.random(n) < 0.08
    phase = np.where(unknown, tax.journey.unknown_phase or "unknown", phase_ids[phase_i]).astype(object)
    stage = np.where(unknown, None, stages[phase_i])
    second_tp = np.where(rng.random(n) < 0.3, rng.integers(0, len(tp_ids), n), -1)
    second_tp = np.where(second_tp == main_tp, -1, second_tp)
    n_tp = 1 + (second_tp >= 0)
    tp_off = _offsets(n_tp)
    tp_vals = np.empty(int(n_tp.sum()), dtype=object)
    tp_vals[tp_off[:-1]] = tp_ids[main_tp]
    two = np.where(n_tp == 2)[0]
    tp_vals[tp_off[two] + 1] = tp_ids[second_tp[two]]
    tp_sent = np.empty(len(tp_vals), dtype=object)
    tp_sent[tp_off[:-1]] = sentiment
    tp_sent[tp_off[two] + 1] = labels[rng.integers(0, 3, len(two))]

    # Units: reviews 1-3 sentences (no speaker); chats 4-6 alternating turns whose mood drifts.
    n_units = np.where(is_chat, rng.integers(4, 7, n), rng.integers(1, 4, n))
    u_off = _offsets(n_units)
    total_units = int(n_units.sum())
    owner = np.repeat(np.arange(n), n_units)
    pos_in = np.arange(total_units) - u_off[owner]
    chat_unit = is_chat[owner]
    speaker = np.where(chat_unit, np.where(pos_in % 2 == 0, "customer", "agent"), None).astype(object)
    drift = rng.normal(0.15, 0.35, n)[owner] * pos_in
    u_score = np.clip(score[owner] - np.where(chat_unit, 0.3, 0) + np.where(chat_unit, drift, 0)
                      + rng.normal(0, 0.1, total_units), -1, 1).astype(np.float32)
    agent = speaker == "agent"
    u_sent = np.where(agent, None, labels[np.digitize(u_score, [-0.33, 0.33])]).astype(object)
    texts_pool = {k: np.array(v, dtype=object) for k, v in PHRASES.items()}
    pool = np.where(lang[owner] == "fr", texts_pool["fr"][pos_in % 6], texts_pool["en"][pos_in % 6])
    u_len = np.array([len(t) for t in PHRASES["en"]])[pos_in % 6]
    u_start = (np.cumsum(u_len + 1) - (u_len + 1)).astype(np.int32)
    u_start = (u_start - u_start[u_off[owner]]).astype(np.int32)
    unit_children = {
        "index": pa.array(pos_in.astype(np.int32)),
        "text": pa.array(pool, pa.string()),
        "speaker": pa.array(speaker, pa.string()),
        "start": pa.array(u_start),
        "end": pa.array((u_start + u_len).astype(np.int32)),
        "sentiment": pa.array(u_sent, pa.string()),
        "sentiment_score": pa.array(np.where(agent, np.nan, u_score).astype(np.float32), from_pandas=True),
    }
    # Fields this script does not fill (emotions of units, or ones added later) are null.
    units = pa.StructArray.from_arrays(
        [unit_children[f.name].cast(f.type) if f.name in unit_children else pa.nulls(total_units, f.type)
         for f in UNIT_TYPE],
        fields=list(UNIT_TYPE))
    text_first = np.where(lang == "fr", texts_pool["fr"][0], texts_pool["en"][0])
    topic_names = [f"{(tax.label('touchpoint', tp_ids[t], 'en'))} problem {k}" for k, t in enumerate(topic_tp)]
    topic_label = np.where(topic >= 0, np.array(topic_names, dtype=object)[np.maximum(topic, 0)], None)
    kw = np.array([f"kw{k}" for k in range(90)], dtype=object)
    kw_off = _offsets(np.where(topic >= 0, 3, 0))
    kw_vals = kw[(np.repeat(np.maximum(topic, 0), np.where(topic >= 0, 3, 0)) * 3
                  + np.tile(np.arange(3), int((topic >= 0).sum())))]
    error = np.where(rng.random(n) < 0.001, "bench: synthetic error", None).astype(object)

    # Survey scores, signals, contacts and chat mood, as the pipeline writes them.
    survey = channel == "email_survey"
    nps = np.where(survey, np.clip(np.round(5 + 4 * score + rng.normal(0, 1.5, n)), 0, 10), np.nan)
    csat = np.where(is_chat, np.clip(np.round(3 + 1.5 * score + rng.normal(0, 0.8, n)), 1, 5), np.nan)
    churn_score = np.clip(0.5 * pain * rng.random(n) + 0.3 * rng.random(n), 0, 1).astype(np.float32)
    effort_score = np.clip(0.6 * pain * rng.random(n) + 0.3 * rng.random(n), 0, 1).astype(np.float32)
    buying = np.isin(phase, ["consideration", "purchase"])
    non_purchase = buying & (rng.random(n) < 0.15)
    # Contacts: a chat is one chat contact; some pain items state phone calls (1-5) or emails.
    called = pain & (rng.random(n) < 0.12)
    emailed = pain & (rng.random(n) < 0.04)
    n_contacts = is_chat.astype(int) + called + emailed
    c_off = _offsets(n_contacts)
    c_channel = np.empty(int(n_contacts.sum()), dtype=object)
    c_count = np.ones(len(c_channel), dtype=np.int32)
    c_text = np.full(len(c_channel), None, dtype=object)
    at = c_off[:-1].copy()
    for mask, name, counts, phrase in ((is_chat, "chat", None, None),
                                       (called, "phone", rng.integers(1, 6, n), "called"),
                                       (emailed, "email", rng.integers(1, 4, n), "emailed")):
        idx = np.where(mask)[0]
        c_channel[at[idx]] = name
        if counts is not None:
            c_count[at[idx]] = counts[idx]
            c_text[at[idx]] = phrase
        at[idx] += 1
    contact_type = ARROW_SCHEMA.field("contacts").type.value_type
    contacts = _list(c_off, pa.StructArray.from_arrays(
        [pa.array(c_channel, pa.string()), pa.array(c_count, pa.int32()), pa.array(c_text, pa.string())],
        fields=list(contact_type)))
    # Chat mood: first and last customer turn (even positions).
    last_customer = u_off[:-1] + (n_units - 1) - ((n_units - 1) % 2)
    mood_start = np.where(is_chat, u_score[u_off[:-1]], np.nan)
    mood_end = np.where(is_chat, u_score[last_customer], np.nan)
    change = mood_end - mood_start
    mood_change = np.where(~is_chat, None, np.where(change >= 0.2, "improved",
                                                     np.where(change <= -0.2, "worsened", "steady"))).astype(object)

    ids = np.char.add("b", np.char.zfill(np.arange(start, start + n).astype(str), 8)).astype(object)
    text = np.char.add(np.char.add(text_first.astype(str), " #"), ids.astype(str)).astype(object)
    sent_keys = np.tile(labels, n).astype(object)
    probs = np.full((n, 3), 0.1, np.float32)
    probs[np.arange(n), sentiment_idx] = 0.8
    emo_keys = np.tile(np.array(all_emotions, dtype=object), n)
    empty = pa.array(np.zeros(n + 1, np.int32))
    arrays = {
        "id": pa.array(ids, pa.string()),
        "text": pa.array(text, pa.string()),
        "lang": pa.array(lang, pa.string()),
        "channel": pa.array(channel, pa.string()),
        "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
        "rating": pa.array(rating, pa.float64(), from_pandas=True),
        "nps": pa.array(nps, pa.float64(), from_pandas=True),
        "csat": pa.array(csat, pa.float64(), from_pandas=True),
        "mood_start": pa.array(mood_start.astype(np.float32), from_pandas=True),
        "mood_end": pa.array(mood_end.astype(np.float32), from_pandas=True),
        "mood_change": pa.array(mood_change, pa.string()),
        "effort": pa.array(effort_score >= 0.5),
        "effort_score": pa.array(effort_score),
        "churn_risk": pa.array(churn_score >= 0.5),
        "churn_risk_score": pa.array(churn_score),
        "non_purchase": pa.array(non_purchase),
        "contacts": contacts,
        "sentiment": pa.array(sentiment, pa.string()),
        "sentiment_score": pa.array(score),
        "sentiment_probs": pa.MapArray.from_arrays(pa.array(np.arange(0, 3 * n + 1, 3, dtype=np.int32)),
                                                   pa.array(sent_keys, pa.string()), pa.array(probs.ravel())),
        "emotions": _list(off, pa.array(emo_vals, pa.string())),
        "emotion_scores": pa.MapArray.from_arrays(
            pa.array(np.arange(0, len(all_emotions) * n + 1, len(all_emotions), dtype=np.int32)),
            pa.array(emo_keys, pa.string()), pa.array(escore.ravel())),
        "units": _list(u_off, units),
        "phase": pa.array(phase, pa.string()),
        "phase_score": pa.array(rng.random(n).astype(np.float32)),
        "stage": pa.array(stage, pa.string()),
        "touchpoints": _list(tp_off, pa.array(tp_vals, pa.string())),
        "touchpoint_scores": pa.MapArray.from_arrays(pa.array(tp_off), pa.array(tp_vals, pa.string()),
                                                     pa.array(rng.random(len(tp_vals)).astype(np.float32))),
        "touchpoint_evidence": pa.ListArray.from_arrays(empty, pa.array([], ARROW_SCHEMA.field(
            "touchpoint_evidence").type.value_type)),
        "touchpoint_sentiment": pa.MapArray.from_arrays(pa.array(tp_off), pa.array(tp_vals, pa.string()),
                                                        pa.array(tp_sent, pa.string())),
        "pain_point": pa.array(pain),
        "pain_point_score": pa.array(np.where(pain, 0.6 + 0.4 * rng.random(n), 0.3 * rng.random(n)).astype(np.float32)),
        "topic_id": pa.array(topic.astype(np.int32)),
        "topic_label": pa.array(topic_label, pa.string()),
        "topic_keywords": _list(kw_off, pa.array(kw_vals, pa.string())),
        "source_file": pa.array(np.full(n, "bench.csv", dtype=object), pa.string()),
        "source_row": pa.array(np.arange(start + 1, start + n + 1, dtype=np.int64)),
        "warnings": _list(empty, pa.array([], pa.string())),
        "error": pa.array(error, pa.string()),
        "schema_version": pa.array(np.full(n, SCHEMA_VERSION, dtype=object), pa.string()),
        "model_version": pa.array(np.full(n, "bench-synthetic", dtype=object), pa.string()),
    }
    return pa.Table.from_arrays(
        [arrays[f.name].cast(f.type) if f.name in arrays else pa.nulls(n, f.type) for f in ARROW_SCHEMA],
        schema=ARROW_SCHEMA)


def write_synthetic(path: Path, rows: int, chunk: int = 200_000) -> None:
    with pq.ParquetWriter(path, ARROW_SCHEMA, compression="zstd") as writer:
        for start in range(0, rows, chunk):
            writer.write_table(synthesise(min(chunk, rows - start), start=start))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", default=None, help="folder to keep the synthetic Parquet, report and tables in")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads for the report")
    args = ap.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="voc-bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    data, html = folder / "bench_enriched.parquet", folder / "bench_report.html"
    started = time.perf_counter()
    write_synthetic(data, args.rows)
    print(f"synthesised {args.rows:,} records in {time.perf_counter() - started:.1f} s "
          f"({data.stat().st_size / 2**20:.0f} MiB Parquet)")

    cmd = [sys.executable, "-m", "voc_nlp.cli", "report", str(data), "-o", str(html), "--lang", args.lang,
           "--tables", str(folder / "tables"), "--quiet"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"report: {seconds:.1f} s, HTML {html.stat().st_size / 2**20:.2f} MiB, peak RSS {peak:.0f} MiB "
          f"({args.rows:,} records) -> {html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
