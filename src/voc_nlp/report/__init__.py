"""The analyst report: a customer-journey map drawn from enriched records.

    from voc_nlp.report import build_report
    build_report("out/feedback.parquet", "out/report.html", lang="fr", tables_dir="out/tables")

- `aggregates`: DuckDB aggregations (the numbers; also written as tables)
- `charts`: inline SVG charts
- `render`: the self-contained HTML page
- `i18n`: English and French report strings
- `labels`: taxonomy labels (phases, touchpoints, emotions, stages)
"""

from __future__ import annotations

from pathlib import Path

from voc_nlp.report.aggregates import Options, ReportData, ReportInputError, compute, load, write_tables
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.report.render import render


def build_report(
    source: str,
    output: str | Path | None = None,
    *,
    lang: str = "en",
    tables_dir: str | Path | None = None,
    table: str | None = None,
    taxonomy: str | Path | None = None,
    title: str | None = None,
    options: Options | None = None,
) -> tuple[str, ReportData]:
    """Aggregate `source` and render the report; write it to `output` (and the
    tables to `tables_dir`) when given. Returns (html, data)."""
    opt = options or Options()
    opt.lang = lang
    tax = Taxonomy.load(taxonomy) if taxonomy else output_taxonomy(source, table)
    con = load(source, table=table, threads=opt.threads)
    try:
        data = compute(con, tax, opt)
    finally:
        con.close()
    html = render(data, tax, opt, source=Path(source).name, title=title)
    if output:
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    if tables_dir:
        write_tables(data, tables_dir)
    return html, data


def output_taxonomy(source: str, table: str | None = None) -> Taxonomy:
    """The taxonomy the enriched output at `source` was made with, from its
    metadata (`io.writers.read_metadata`): its file when it still holds the
    same text (files it extends resolve there), else the stored text; the
    default taxonomy when the output records none."""
    import hashlib
    import tempfile

    from voc_nlp.io.writers import read_metadata

    meta = read_metadata(source, table)
    text = meta.get("voc_nlp.taxonomy")
    if not text:
        return Taxonomy.load()
    path = Path(meta.get("voc_nlp.taxonomy_path") or "")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if path.name and path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
        return Taxonomy.load(path)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / (path.name or "taxonomy.yaml")
        copy.write_text(text, encoding="utf-8")
        return Taxonomy.load(copy)


__all__ = ["output_taxonomy", "Options", "ReportData", "ReportInputError", "build_report", "compute", "load", "render", "write_tables"]
