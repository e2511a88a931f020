"""Every relative link in README.md and docs/ leads somewhere: the file exists and, for `page.md#anchor`,
the page has a heading with that GitHub anchor (the README's sections are short overviews linking to
docs/, so a renamed heading would otherwise break them silently)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _prose_lines(path):
    """The page's lines with fenced code blocks blanked: `# comment` there is no heading, `[x](y)` no link."""
    lines, in_code = [], False
    for line in path.read_text().split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        lines.append("" if in_code or line.lstrip().startswith("```") else line)
    return lines


def github_anchors(path):
    """The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces to hyphens,
    `-1`, `-2` … after a repeated one."""
    anchors, seen = set(), {}
    for line in _prose_lines(path):
        heading = re.match(r"#{1,6}\s+(.*?)\s*$", line)
        if heading:
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1)).replace("`", "").replace("*", "")
            slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            anchors.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
            seen[slug] = seen.get(slug, 0) + 1
    return anchors


def test_github_anchors_follow_githubs_rules(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Profiles: fast (default) and accurate\n## The `accurate` profile's models (+ e5)\n"
                    "## Notes\n## Notes\n```bash\n# not a heading\n```\n")
    assert github_anchors(page) == {"profiles-fast-default-and-accurate", "the-accurate-profiles-models--e5",
                                    "notes", "notes-1"}


def test_every_relative_link_resolves():
    broken = []
    for page in PAGES:
        for number, line in enumerate(_prose_lines(page), 1):
            for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"`[^`]*`", "", line)):
                if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                    continue
                path, _, anchor = target.partition("#")
                dest = (page.parent / path).resolve() if path else page
                if not dest.exists():
                    broken.append(f"{page.relative_to(ROOT)}:{number}: {target}: no such file")
                elif anchor and dest.suffix == ".md" and anchor not in github_anchors(dest):
                    broken.append(f"{page.relative_to(ROOT)}:{number}: {target}: no such heading")
    assert not broken, "\n".join(broken)
