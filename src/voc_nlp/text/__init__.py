"""Text preparation: clean-up, social-post normalisation, chat turns,
sentence units and language detection."""

from .chat import Turn, parse_transcript, parse_turns, render_transcript
from .language import detect_language
from .normalize import clean_text, normalize_social
from .segment import split_sentences

__all__ = [
    "Turn",
    "clean_text",
    "detect_language",
    "normalize_social",
    "parse_transcript",
    "parse_turns",
    "render_transcript",
    "split_sentences",
]
