"""Issue 23's classes: credentials, national IDs of the countries served, names written the
formal way, and business words that are not personal data (organisations, banks, shops,
countries, holidays, days of the month, discount codes). Values are generated here."""
from __future__ import annotations

import random
import string
from typing import List, Tuple

import pytest

from bot.pii.engine import engine
from bot.pii.conversation import ConversationMasker
from tests.bench.pii_dataset import Generator


def found(text: str) -> List[Tuple[str, str]]:
    return [(f.entity_type, f.text) for f in engine().analyze(text)]


def masked(text: str) -> str:
    return engine().mask(text).text


@pytest.mark.parametrize(
    "text, value",
    [
        ("my username is fietsfan88 and then", "fietsfan88"),
        ("my password is Zomer2024!", "Zomer2024!"),
        ("login: k.devries", "k.devries"),
        ("pw: geheim123", "geheim123"),
        ("mijn wachtwoord is appeltaart99", "appeltaart99"),
        ("gebruikersnaam jdv_1970", "jdv_1970"),
        ("my pin is 4821", "4821"),
        ("i changed my password to Winter2025", "Winter2025"),
        ("user name stanleysarah please", "stanleysarah"),
    ],
)
def test_credentials_after_their_name_are_found(text: str, value: str) -> None:
    assert any(kind == "CREDENTIAL" and value in span for kind, span in found(text))
    assert value not in masked(text)


@pytest.mark.parametrize(
    "text",
    ["I forgot my password", "password reset link doesn't work", "my login doesn't work",
     "mijn wachtwoord werkt niet", "ik betaal met pin", "can I pay by pin at the door?",
     "my password is wrong", "mijn wachtwoord is vergeten", "the login page will not load"],
)
def test_talking_about_a_credential_is_not_one(text: str) -> None:
    assert [kind for kind, _ in found(text) if kind == "CREDENTIAL"] == []


def test_a_credential_is_dropped_never_stored(data_dir) -> None:
    from bot.storage.db import engine as db_engine
    from bot.storage.db import pii_placeholders

    secret = "Tr0mbone-" + "".join(random.Random(5).choice(string.ascii_letters) for _ in range(6))
    out = ConversationMasker("conv-cred").mask_text(f"my password is {secret}")
    assert out.text == "my password is <CREDENTIAL_1>"
    with db_engine().connect() as conn:
        rows = conn.execute(pii_placeholders.select()).all()
    assert [r.value_digest.startswith("dropped:") for r in rows if r.entity_type == "CREDENTIAL"] == [True]
    assert secret.encode() not in b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert "pii_credential" in engine().policy.warn_entities  # the customer is told not to share it


def test_generated_national_ids_are_found_and_invalid_ones_are_not() -> None:
    gen = Generator(99)
    for _ in range(25):
        be, nino, licence = gen.be_national_number(), gen.uk_nino(), gen.uk_driving_licence()
        assert ("BE_NATIONAL_NUMBER", be) in found(f"mijn rijksregisternummer is {be}")
        assert ("UK_NINO", nino) in found(f"my national insurance number is {nino}")
        assert ("UK_DRIVING_LICENCE", licence) in found(f"driving licence {licence}")
    valid = gen.be_national_number().replace(".", "").replace("-", "").replace(" ", "")
    broken = valid[:-2] + f"{(int(valid[-2:]) + 1) % 100:02d}"
    assert [k for k, _ in found(f"rijksregisternummer {broken}") if k == "BE_NATIONAL_NUMBER"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("Prof. Dr. Jan-Willem van der Berg", "Prof. Dr. Jan-Willem van der Berg"),
        ("A.Th.Chr. de Vries", "A.Th.Chr. de Vries"),
        ("Kind regards, Drs. P.J. Smit", "Drs. P.J. Smit"),
        ("Geachte mevrouw de Jong-van Dam,", "mevrouw de Jong-van Dam"),
        ("F. Matthews. also my order", "F. Matthews"),
        ("groeten, meneer K.W. 's Gravensande", "meneer K.W. 's Gravensande"),
        ("groeten, Mr. Jones", "Mr. Jones"),
    ],
)
def test_titles_initials_and_particles_are_masked_with_the_name(text: str, name: str) -> None:
    assert ("PERSON", name) in found(text)
    assert name not in masked(text)


@pytest.mark.parametrize(
    "text",
    [
        "I paid with ING but the refund went nowhere", "betaald met Rabobank", "do you ship to Germany?",
        "bezorgen jullie ook in België?", "can it arrive vrijdag de 5e", "will it come before Christmas?",
        "voor Sinterklaas graag", "discount code SUMMER20 does not work", "I bought it at MediaMarkt",
        "besteld bij Fonq", "do you deliver to the United Kingdom or Duitsland?", "P.S. Thanks for the help",
        "Ok. Bedankt", "U.S. Army boots",
    ],
)
def test_business_words_are_kept(text: str) -> None:
    assert masked(text) == text


def test_an_organisation_with_a_first_name_or_an_identifier_is_still_masked() -> None:
    assert "NL91ABNA0417164301" not in masked("iban NL91ABNA0417164301")  # fails mod-97: not a company
    assert masked("the NI number AB 12 34 56 C is mine") == "the NI number <UK_NINO_1> is mine"
