"""Rule files: the phrase lists of a hand rule, one file per rule and language.

    configs/rules/en/swearing.yaml       phrases: [fuck*, shit, ...]
    configs/rules/fr/swearing.yaml       phrases: [putain, merde*, ...]

A component setting names its rule file by a path relative to the config's
folder (like a model folder): `rules/{lang}/swearing.yaml` reads the file in
every language folder that has one, and each language's phrases apply to
that language's items (an item in a language without a file uses every
language's phrases). A path without `{lang}` holds phrases for every
language. A list of paths adds their phrases together, so an analyst's own
file can sit beside the shipped one. `null` turns the rule off.

A rule file is a mapping of list names to phrase lists (which names, the
component says: `positive` / `negative` for sentiment verdicts, an emotion
id for named emotions...). A phrase is a word or words matched on word
boundaries, ignoring case and accents; `word*` matches any ending
(`voc_nlp.text.cues`). Every value is read as text (`no` is the word "no").
A rule may also read counted lists (`counts`): a mapping of phrases to the
whole number each stands for (`numbers: {two: 2, a couple of: 2}`).

Components read their rule files once, when they are built; a problem in a
file is one line, `file:line: what is wrong` (`RuleFileError`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from voc_nlp.yamlfile import TextLineLoader, line_of, read_yaml

LANG = "{lang}"
# The phrases of a file whose path names no language apply to every language (voc_nlp.text.cues).
ANY_LANGUAGE = "any"


class RuleFileError(ValueError):
    """A rule file that cannot be read; the message names the file and line."""


def rule_paths(setting, what: str, example: str) -> list[str]:
    """The path templates of a rule setting: one path or a list of them.

    Phrase lists written in the config itself (as configs before the rule
    files did) are refused with a hint naming the file to write them in.
    """
    if isinstance(setting, dict):
        raise retired_phrase_lists(what, what, example)
    paths = [setting] if isinstance(setting, (str, Path)) else setting
    if not isinstance(paths, list) or not paths or not all(isinstance(p, (str, Path)) and str(p) for p in paths):
        raise ValueError(f"{what}: a rule file path (e.g. {example}), a list of them, or null; got {setting!r}")
    return [str(p) for p in paths]


def retired_phrase_lists(what: str, setting: str, example: str) -> ValueError:
    """The error for phrase lists written in the config, as configs before the rule files did."""
    return ValueError(f"{what}: phrase lists are no longer written in the config; they live in rule files, one "
                      f"per language (the default: {example}, under the config's folder). Name the file with "
                      f"`{setting}: {example}` and write your phrases there (README: Your own phrases)")


def rule_files(template: str) -> list[tuple[str, Path]]:
    """(language, file) for each file a path template names, languages in name order."""
    if LANG not in template:
        path = Path(template)
        if not path.is_file():
            raise FileNotFoundError(f"rule file not found: {path}")
        return [(ANY_LANGUAGE, path)]
    head = template.split(LANG, 1)[0]
    folder = Path(head) if head.endswith(("/", "\\")) else Path(head).parent
    found = []
    if folder.is_dir():
        for lang_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            path = Path(template.replace(LANG, lang_dir.name))
            if path.is_file():
                found.append((lang_dir.name, path))
    if not found:
        raise FileNotFoundError(f"no rule file matches {template} ({LANG}: a language folder, e.g. en)")
    return found


def read_phrase_lists(setting, what: str, example: str, names: Iterable[str] | None = None,
                      counts: Iterable[str] = ()) -> dict[str, dict[str, list[str] | dict[str, int]]]:
    """{list name: {language: phrases}} from the rule files a setting names.

    `names`: the list names the rule knows (None: any; the component checks
    them). `counts`: the names of counted lists, {phrase: number} instead of
    [phrase, ...]. A language that has a file has every list, empty when its
    file leaves one out: its items do not fall back on the other languages' phrases.
    """
    names = None if names is None else list(names)
    counts = frozenset(counts)
    lists: dict[str, dict] = {}
    languages: list[str] = []
    for template in rule_paths(setting, what, example):
        for lang, path in rule_files(template):
            for name, phrases in _read(path, names, counts).items():
                if name in counts:
                    lists.setdefault(name, {}).setdefault(lang, {}).update(phrases)
                else:
                    lists.setdefault(name, {}).setdefault(lang, []).extend(phrases)
            if lang not in languages:
                languages.append(lang)
    for name, by_lang in lists.items():
        for lang in languages:
            by_lang.setdefault(lang, {} if name in counts else [])
    return lists


def _read(path: Path, names: list[str] | None, counts: frozenset = frozenset()) -> dict:
    data = read_yaml(path, RuleFileError, loader=TextLineLoader, what="rule file")
    if data is None or data == "":
        return {}
    if not isinstance(data, dict):
        raise RuleFileError(f"{path}:1: a rule file is a mapping of list names to phrase lists "
                            f"({', '.join(names) if names else 'name'}: [phrase, ...])")
    out = {}
    for name, phrases in data.items():
        line = line_of(data, name)
        if names is not None and name not in names:
            raise RuleFileError(f"{path}:{line}: unknown list '{name}' (this rule reads: {', '.join(names)})")
        if name in counts:
            out[str(name)] = _counted(path, name, phrases, line)
            continue
        if phrases in (None, ""):
            phrases = []
        if not isinstance(phrases, list):
            raise RuleFileError(f"{path}:{line}: `{name}` must be a list of phrases ([word, two words, word*])")
        for i, phrase in enumerate(phrases):
            if not isinstance(phrase, str):
                at = phrases.item_lines[i] if hasattr(phrases, "item_lines") else line
                raise RuleFileError(f"{path}:{at}: `{name}`: each phrase is a word or words, not {phrase!r}")
        out[str(name)] = [p.strip() for p in phrases if p.strip()]
    return out


def _counted(path: Path, name: str, phrases, line: int) -> dict[str, int]:
    """A counted list: {phrase: whole number}."""
    if phrases in (None, ""):
        return {}
    if not isinstance(phrases, dict):
        raise RuleFileError(f"{path}:{line}: `{name}` must map phrases to numbers ({{phrase: 2, ...}})")
    out = {}
    for phrase, number in phrases.items():
        if not isinstance(phrase, str) or not isinstance(number, str) or not number.strip().isdigit():
            raise RuleFileError(f"{path}:{line_of(phrases, phrase)}: `{name}`: {phrase!r} must map to a "
                                f"whole number, not {number!r}")
        if phrase.strip():
            out[phrase.strip()] = int(number)
    return out
