"""Personal data in feedback text: find it and replace it by typed placeholders.

    >>> masked = mask_pii("Call me on 06 12 34 56 78 or jo@mail.fr, order 4501239876")
    >>> masked.text
    'Call me on <PHONE> or <EMAIL>, order 4501239876'
    >>> masked.types
    ['EMAIL', 'PHONE']

Regular expressions plus checksums, no model: emails, phone numbers (French,
North-American, British and "+country" international formats), payment card
numbers (Luhn check and a plausible card-brand prefix and length), IBANs
(mod-97 check) and URLs whose query string carries a token or an email.

Customers' texts are full of numbers that are *not* personal data: order and
tracking numbers, dates, times, prices, flight numbers, postcodes. The
detectors are written to leave them alone: phone patterns need a phone
grouping (not "2024-03-15"), long numbers must pass a checksum, and a number
right after a label such as "order", "commande n°" or "tracking" is taken for
that label's identifier. `scripts/eval_pii.py` measures both sides on the
written fixtures in `tests/text/data/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

# Placeholder types, in the order `MaskResult.types` lists them.
PII_TYPES = ("EMAIL", "PHONE", "CARD", "IBAN", "URL")


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data: `text[start:end]` of the original text."""

    start: int
    end: int
    type: str
    value: str


@dataclass
class MaskResult:
    text: str  # the masked text
    types: list[str] = field(default_factory=list)  # types found, in PII_TYPES order
    spans: list[PiiSpan] = field(default_factory=list)  # offsets into the *original* text


def mask_pii(text: str) -> MaskResult:
    """`text` with every piece of personal data replaced by `<TYPE>`."""
    spans = find_pii(text)
    parts, last = [], 0
    for span in spans:
        parts.append(text[last : span.start])
        parts.append(f"<{span.type}>")
        last = span.end
    parts.append(text[last:])
    found = {s.type for s in spans}
    return MaskResult("".join(parts), [t for t in PII_TYPES if t in found], spans)


def find_pii(text: str) -> list[PiiSpan]:
    """Non-overlapping spans of personal data, in text order.

    Detectors run from the most specific to the least: a URL may contain an
    email, and an IBAN or a card number contains digit groups that could pass
    for a phone number; the first detector to claim characters keeps them.
    """
    taken: list[PiiSpan] = []
    for kind, detector in _DETECTORS:
        for start, end in detector(text):
            if not any(start < s.end and s.start < end for s in taken):
                taken.append(PiiSpan(start, end, kind, text[start:end]))
    return sorted(taken, key=lambda s: s.start)


# --- emails --------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])"
    # Written to dodge spam bots: "jane [at] example.com", "e.rousseau(at)yahoo.fr".
    r"|(?<![\w.+-])[\w.+-]+ ?[\[(] ?(?:at|arobase) ?[\])] ?[\w-]+"
    r"(?: ?(?:\.|[\[(] ?(?:dot|point) ?[\])]) ?[\w-]+)+",
    re.IGNORECASE,
)


def _emails(text: str):
    # "@AmericanAir" has no local part, so social handles never match.
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end()


# --- URLs ----------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}"
# Query parameters whose value identifies a person or opens their account.
_SECRET_KEYS = {
    "token", "access_token", "id_token", "refresh_token", "jeton", "auth", "key", "apikey",
    "api_key", "cle", "clé", "code", "otp", "sig", "signature", "hash", "secret", "password",
    "pwd", "pass", "session", "sessionid", "sid", "email", "mail", "e-mail", "e", "user",
    "uid", "userid", "user_id", "login", "client", "customer",
}


def _urls(text: str):
    """URLs whose query string (or fragment) carries a token or an email.

    A plain link ("https://shop.fr/produit/123") or a harmless query
    ("?page=2&sort=price") is kept: it says which page the customer means.
    """
    for m in _URL.finditer(text):
        url = m.group().rstrip(_URL_TRAILING)
        if _url_is_sensitive(url):
            yield m.start(), m.start() + len(url)


def _url_is_sensitive(url: str) -> bool:
    parts = urlsplit(url if "://" in url else "http://" + url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if "=" in parts.fragment:
        params += parse_qsl(parts.fragment, keep_blank_values=True)
    for key, value in params:
        value = unquote(value)
        if key.lower() in _SECRET_KEYS or "@" in value or _looks_random(value):
            return True
    return False


def _looks_random(value: str) -> bool:
    """A long mix of letters and digits: a session id or a signature."""
    return (
        len(value) >= 16
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    )


# --- identifiers that are not personal data -------------------------------------

# A number right after one of these labels is that label's identifier
# ("order 4501239876", "commande n° 0612345678", "Tracking: 9400 …"), not a
# phone or a card number. Speaker labels ("Client :", "Customer:") are not in
# the list: in a chat they precede anything, phone numbers included.
_ID_LABEL = re.compile(
    r"\b(?:order|commande|cmd|tracking|suivi|colis|parcel|package|shipment|invoice|facture|"
    r"ref|réf|reference|référence|ticket|dossier|case|booking|réservation|reservation|"
    r"contrat|contract|member|adhérent|loyalty|fidélité|voucher|gift card|carte cadeau|"
    r"serial|série|siret|siren|item|article|sku|rma|account id|id)"
    r"\.?(?: ?(?:n[°o]|num(?:ber|éro)?|#|id)\.?)?(?: (?:is|est|was|:))? ?[:#]? ?$",
    re.IGNORECASE,
)


def _after_id_label(text: str, start: int) -> bool:
    return bool(_ID_LABEL.search(text[max(0, start - 30) : start]))


# --- payment cards --------------------------------------------------------------

# 13-19 digits: bare, in groups of four (the last group 1-4 digits), or in the
# 4-6-5 / 4-6-4 grouping of American Express and Diners cards. The lookarounds
# make the match the whole number: a 22-digit tracking number in groups of
# four is not a card with digits attached.
_CARD = re.compile(
    r"(?<![\w])(?<!\d[ -])"
    r"(?:\d{13,19}"
    r"|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?"
    r"|\d{4}[ -]\d{6}[ -]\d{4,5})"
    r"(?![\w])(?![ -]\d)"
)


def _cards(text: str):
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _card_brand(digits) and luhn_ok(digits):
            if not _after_id_label(text, m.start()):
                yield m.start(), m.end()


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_brand(digits: str) -> bool:
    """Does the number start and run like a card of a real brand?

    One random long number in ten passes the Luhn check; the prefix and
    length rules (Visa 4…, Mastercard 51-55 / 2221-2720, Amex 34/37, …) drop
    most of those (a SIRET, a barcode, a 14-digit reference starting with 55).
    """
    n, two, four = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if two in (34, 37):  # American Express
        return n == 15
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:  # Diners
        return n in (14, 16)
    if two == 35:  # JCB
        return 16 <= n <= 19
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return n == 16
    if two in (50, 56, 57, 58) or digits[0] == "6":  # Maestro, Discover, UnionPay
        return 12 <= n <= 19
    return False


# --- IBANs ----------------------------------------------------------------------

# Lengths of the IBANs of the countries customers of an EN/FR business most
# often quote; others are accepted at any length the checksum allows.
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "IE": 22, "IT": 27, "LU": 20, "MA": 28, "MC": 27, "NL": 18, "NO": 15,
    "PL": 28, "PT": 25, "SE": 24,
}
# Country, check digits, then the account in groups of four as banks print it
# ("FR76 3000 6000 …") or in one run; the last group may be shorter.
_IBAN = re.compile(
    r"(?<![\w])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]{4}){2,7}(?:[ \u00a0]?[A-Z0-9]{1,3})?(?![\w])",
    re.IGNORECASE | re.ASCII,  # ASCII: with IGNORECASE alone, [A-Z] also matches "ſ" and "K" (Kelvin)
)


def _ibans(text: str):
    for m in _IBAN.finditer(text):
        # The match may run on into a following four-letter word ("… 7034
        # from"): try it whole, then without its last groups, and keep the
        # longest that is a valid IBAN.
        group_ends = [m.start() + g.end() for g in re.finditer(r"[A-Za-z0-9]+", m.group())]
        for end in reversed(group_ends):
            compact = re.sub(r"[^A-Za-z0-9]", "", text[m.start() : end]).upper()
            if _iban_shape(compact) and iban_ok(compact):
                yield m.start(), end
                break


def _iban_shape(compact: str) -> bool:
    """The length the country's IBANs have (15-34 for countries not listed);
    and, as every account number has, at least ten digits after the check
    digits, so that a run of words after "UA64 …" cannot pass."""
    wanted = _IBAN_LENGTHS.get(compact[:2])
    length_ok = len(compact) == wanted if wanted else 15 <= len(compact) <= 34
    return length_ok and sum(c.isdigit() for c in compact[4:]) >= 10


def iban_ok(compact: str) -> bool:
    """The ISO 13616 mod-97 check: country and check digits moved to the end,
    letters as numbers (A=10 … Z=35), the whole number mod 97 is 1."""
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


# --- phone numbers --------------------------------------------------------------

_SEP = r"[ \u00a0\u202f.\-]"  # one separator between digit groups (French: dots too)

# "+33 6 12 34 56 78", "+1 (212) 555-0147", "+44 (0)20 7946 0958", "0033 6 71 82 93 04"
_INTERNATIONAL = re.compile(
    rf"(?<![\w+])(?<!\d{_SEP})(?:\+|\b00)\d{{1,3}}(?:{_SEP}?\(0\))?(?:{_SEP}?\(?\d{{1,4}}\)?){{1,7}}(?![\w])"
)
# French national numbers: ten digits in pairs, one separator throughout:
# "06 12 34 56 78", "06.12.34.56.78", "0612345678"; free numbers "0 800 123 456".
_FRENCH = re.compile(
    rf"(?<![\w,/-])(?<!\d\.)0[1-9](?P<sep>{_SEP}?)\d{{2}}(?:(?P=sep)\d{{2}}){{3}}(?![\w]|[.,/-]\d)"
    rf"|(?<![\w,/-])(?<!\d\.)0 ?[89]\d\d[ .]\d{{3}}[ .]\d{{3}}(?![\w]|[.,/-]\d)"
)
# North American numbers: "(555) 123-4567", "555-123-4567", "555.123.4567",
# "1-800-555-0199". Separators are required: ten bare digits are an order
# number as often as a phone number (see _BARE_NANP).
_NANP = re.compile(
    rf"(?<![\w+,/-])(?<!\d\.)(?:1{_SEP})?(?:\(\d{{3}}\) ?|\d{{3}}{_SEP})\d{{3}}{_SEP}\d{{4}}(?![\w]|[.,/-]\d)"
)
# British national numbers: eleven digits from 0, in two or three groups:
# "020 7946 0958", "0161 496 0000", "07700 900123".
_BRITISH = re.compile(
    rf"(?<![\w,/-])(?<!\d\.)0[1-9]\d{{1,3}}{_SEP}\d{{3,6}}(?:{_SEP}\d{{3,4}})?(?![\w]|[.,/-]\d)"
)
# Ten bare digits count as a phone number only just after a phone word.
_BARE_NANP = re.compile(r"(?<![\w+])[2-9]\d{9}(?![\w])")
_PHONE_CUE = re.compile(
    r"\b(?:call|phone|tel|tél|cell|mobile|text|sms|whatsapp|ring|reach|portable|appel\w*|joindre)"
    r"\b[^\d\n]{0,30}$",
    re.IGNORECASE,
)

# National significant digits after a country code, for the codes most seen in
# EN/FR feedback (other codes: 8 to 15 digits in all, as E.164 allows).
_NATIONAL_DIGITS = {
    "1": {10}, "33": {9}, "44": {9, 10}, "32": {8, 9}, "41": {9}, "49": set(range(6, 12)),
    "34": {9}, "39": set(range(6, 12)), "31": {9}, "351": {9}, "352": set(range(6, 12)),
    "353": {7, 8, 9}, "61": {9}, "212": {9}, "213": {8, 9}, "216": {8},
}


def _phones(text: str):
    candidates = []
    for m in _INTERNATIONAL.finditer(text):
        end = _international_end(m)
        # "00" also starts many identifiers ("n° 0045 1123 8890"): that
        # prefix needs a known country code and no identifier label before it.
        if m.group().startswith("00") and (_country_code(m.group()) is None or _after_id_label(text, m.start())):
            continue
        if end:
            candidates.append((m.start(), end))
    for pattern in (_FRENCH, _NANP, _BRITISH):
        for m in pattern.finditer(text):
            if pattern is _BRITISH and len(re.sub(r"\D", "", m.group())) != 11:
                continue
            if not _after_id_label(text, m.start()):
                candidates.append((m.start(), m.end()))
    for m in _BARE_NANP.finditer(text):
        before = text[max(0, m.start() - 45) : m.start()]
        if _PHONE_CUE.search(before) and not _after_id_label(text, m.start()):
            candidates.append((m.start(), m.end()))
    # Several patterns can match the same number; keep the longest reading.
    candidates.sort(key=lambda se: (se[0] - se[1], se[0]))
    kept: list[tuple[int, int]] = []
    for start, end in candidates:
        if not any(start < e and s < end for s, e in kept):
            kept.append((start, end))
    return sorted(kept)


def _country_code(number: str) -> str | None:
    """The country code of "+33 6 …" / "0033 6 …" when it is one of _NATIONAL_DIGITS."""
    digits = re.sub(r"\D", "", number[2:] if number.startswith("00") else number)
    return next((digits[:n] for n in (1, 3, 2) if digits[:n] in _NATIONAL_DIGITS), None)


def _international_end(m: re.Match) -> int | None:
    """Where an international number ends, or None if it is not one.

    The pattern is generous (it may take the "2" of "… 78 2 fois"); digit
    groups are dropped from the end until the count fits the country code.
    """
    raw = m.group()
    code = _country_code(raw)
    group_ends = [g.end() for g in re.finditer(r"\d+", raw)]
    for group_end in reversed(group_ends):
        part = raw[:group_end].replace("(0)", "")
        count = len(re.sub(r"\D", "", part[2:] if part.startswith("00") else part))
        if code in _NATIONAL_DIGITS:
            if count - len(code) in _NATIONAL_DIGITS[code]:
                return m.start() + group_end
        elif code is None and 8 <= count <= 15:
            return m.start() + group_end
    return None


_DETECTORS = (("URL", _urls), ("EMAIL", _emails), ("IBAN", _ibans), ("CARD", _cards), ("PHONE", _phones))
