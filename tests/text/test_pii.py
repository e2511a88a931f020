"""PII detectors: each type on its own, the near-misses they must leave alone,
and the targets measured on the written fixtures."""

import json
from pathlib import Path

import pytest

from voc_nlp.text.pii import find_pii, iban_ok, luhn_ok, mask_pii

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "text, value, kind",
    [
        ("write to john.smith@gmail.com please", "john.smith@gmail.com", "EMAIL"),
        ("Mon mail : jean-luc.martin@free.fr.", "jean-luc.martin@free.fr", "EMAIL"),
        ("email jane [at] doe-family.net", "jane [at] doe-family.net", "EMAIL"),
        ("Rappelez-moi au +33 6 12 34 56 78 svp", "+33 6 12 34 56 78", "PHONE"),
        ("Mon numéro : 06.12.34.56.78", "06.12.34.56.78", "PHONE"),
        ("joignable au 0612345678 après 18h", "0612345678", "PHONE"),
        ("call (555) 123-4567 now", "(555) 123-4567", "PHONE"),
        ("reach me on +1 555-123-4567 before 5pm", "+1 555-123-4567", "PHONE"),
        ("Phone: 555.123.4567", "555.123.4567", "PHONE"),
        ("ring +44 20 7946 0958 please", "+44 20 7946 0958", "PHONE"),
        ("Mobile 07700 900123, thanks", "07700 900123", "PHONE"),
        ("call me at 5551234567", "5551234567", "PHONE"),
        ("please call us back to rebook!!! 7403607771", "7403607771", "PHONE"),
        ("over an hour...919-675-0985", "919-675-0985", "PHONE"),
        ("charged on 4111 1111 1111 1111 twice", "4111 1111 1111 1111", "CARD"),
        ("card 5555-5555-5555-4444 declined", "5555-5555-5555-4444", "CARD"),
        ("I paid 4111 1111 1111 1111 twice", "4111 1111 1111 1111", "CARD"),  # "paid" is no "id" label
        ("Amex 3782 822463 10005 charged", "3782 822463 10005", "CARD"),
        ("IBAN : FR76 3000 6000 0112 3456 7890 189 merci", "FR76 3000 6000 0112 3456 7890 189", "IBAN"),
        ("refund to DE89370400440532013000", "DE89370400440532013000", "IBAN"),
        # "from" could be a fifth group of four: the IBAN ends where the check passes
        ("to BE68 5390 0754 7034 from my old bank", "BE68 5390 0754 7034", "IBAN"),
        ("link https://x.example.com/reset?token=9f8e7d6c5b4a3928 expired",
         "https://x.example.com/reset?token=9f8e7d6c5b4a3928", "URL"),
        ("see https://x.example.com/u?email=jo%40mail.fr.", "https://x.example.com/u?email=jo%40mail.fr", "URL"),
    ],
)
def test_each_type_is_found_whole(text, value, kind):
    spans = find_pii(text)
    assert [(s.type, s.value) for s in spans] == [(kind, value)]
    assert mask_pii(text).text == text.replace(value, f"<{kind}>")


@pytest.mark.parametrize(
    "text",
    [
        "Order #123456789 arrived two weeks late.",
        "My order number is 4501239876, still no tracking update.",
        "Commande n° 402-1234567-8901234 jamais livrée.",
        "Rendez-vous le 06/12/2024 à 14h30, puis le 14.07.2024 à 10h15.",
        "Ordered 2024-03-15, delivered 03/22/2024 at 9:30am.",
        "Payé 1 299,00 € ; shipping was $1,299.00.",
        "Flight BA287 and AF 1234 both delayed.",
        "USPS tracking 9400 1000 0000 0000 0000 00 not found.",
        "Tracking 1Z999AA10123456784, colis 6A12345678901, LX123456789FR.",
        "Livré au 75002 Paris, not SW1A 1AA or 90210.",
        "Abonné depuis 2009, 3 x 250 g, 12.5 kg.",
        "Gift card 4111 1111 1111 1112 shows $0.00.",  # fails the Luhn check
        "IBAN FR77 3000 6000 0112 3456 7890 189 refusé",  # wrong check digits
        "Ticket de caisse n° 0045 1123 8890 du 03/05/2023",
        "SIRET 55210055400021 sur la facture",  # passes Luhn, but no card brand is 14 digits from 55
        "@AmericanAir lost my bag on AA 2291",
        "@united UA647 heading back to gate bc improper load?",  # words after "UA64" are no IBAN
        "@united please expedite bag claim #3526665682",  # ten bare digits, no phone word
        "Product page https://www.example.com/products/12345?page=2&sort=price",
    ],
)
def test_near_misses_are_left_alone(text):
    assert find_pii(text) == []
    assert mask_pii(text).text == text


def test_mask_result_lists_types_and_spans_into_the_original():
    text = "Card 4111111111111111, mail a.b@c.fr, tel 06 12 34 56 78, mail again x@y.com"
    result = mask_pii(text)
    assert result.text == "Card <CARD>, mail <EMAIL>, tel <PHONE>, mail again <EMAIL>"
    assert result.types == ["EMAIL", "PHONE", "CARD"]  # each type once, in PII_TYPES order
    assert [text[s.start : s.end] for s in result.spans] == [s.value for s in result.spans]
    assert mask_pii("Nothing personal, order 12345.").types == []


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB83WEST12345698765432")


def test_an_email_inside_a_url_is_masked_with_the_url():
    text = "unsubscribe at https://news.example.fr/d?mail=paul.martin@free.fr please"
    assert mask_pii(text).text == "unsubscribe at <URL> please"


def _load(name):
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def test_fixtures_are_what_the_docs_say():
    main, heldout = _load("pii_cases.jsonl"), _load("pii_heldout.jsonl")
    assert len(main) >= 200 and len(heldout) >= 60
    for row in main + heldout:
        assert {row["lang"]} <= {"en", "fr"}
        for span in row["pii"]:
            assert row["text"][span["start"] : span["end"]] == span["value"]


@pytest.mark.parametrize("name", ["pii_cases.jsonl", "pii_heldout.jsonl"])
def test_targets_on_the_written_fixtures(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location("eval_pii", DATA.parents[2] / "scripts" / "eval_pii.py")
    eval_pii = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(eval_pii)
    result = eval_pii.evaluate(_load(name))
    recall = {t: result["found"][t] / result["gold"][t] for t in result["gold"] if result["gold"][t]}
    for kind in ("EMAIL", "CARD", "IBAN"):
        assert recall[kind] >= 0.98, (kind, result["errors"])
    assert recall["PHONE"] >= 0.95, result["errors"]
    assert result["numbers_masked"] / result["numbers"] < 0.02, result["errors"]


def test_random_strings_never_break_it():
    """Seeded fuzz over digits, separators and look-alike characters ("ſ" is
    "s" to a case-insensitive [A-Z], "٣" is a digit to \\d)."""
    import random

    rng = random.Random(21)
    alphabet = "0123456789 +-.()/@:#?&=%\n\tabcXYZfrFRDEGB€£$éſK٣\u00a0\u202f<>[]"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        result = mask_pii(text)
        assert all(text[s.start : s.end] == s.value for s in result.spans)
        assert result.text.count("<") - text.count("<") == len(result.spans)
