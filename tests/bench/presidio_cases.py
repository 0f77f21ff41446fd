"""Cases in the formats of Presidio's own recognizer tests, with values of our own.

Read from `presidio-analyzer/tests/` in microsoft/presidio (credit card, e-mail, IBAN, IP,
phone, URL, US SSN/ITIN/passport/driver licence/bank number, UK NHS, crypto, medical
licence, spaCy person tests): the same layouts and context sentences, but every value is
generated here (valid check digits where the format has them), so nothing is copied and
nothing is real.
"""
from __future__ import annotations

import hashlib
import random
import re
import string
from pathlib import Path
from typing import Callable, List

from faker import Faker
from stdnum import iban as stdnum_iban

from tests.bench.pii_dataset import Sample

IBAN_COUNTRIES = ["NL", "DE", "GB", "FR", "BE", "ES", "IT", "CH", "AT", "PL", "IE", "PT", "DK",
                  "NO", "SE", "FI", "EG", "UA", "IQ", "LC", "SC", "BR", "SA", "AE", "QA", "TR"]
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            n -= 9 if n > 9 else 0
        total += n
    return digits + str((10 - total % 10) % 10)


def _bban_formats() -> dict:
    registry = Path(stdnum_iban.__file__).with_name("iban.dat").read_text()
    return {m.group(1): m.group(2) for m in re.finditer(r'^([A-Z]{2}) .*bban="([^"]+)"', registry, re.M)}


class PresidioStyleCases:
    """Generates `Sample`s in the layouts of Presidio's recognizer tests."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        Faker.seed(seed)
        self.faker = Faker("en_US")
        self.bban = _bban_formats()

    # ---- values --------------------------------------------------------------------
    def card(self) -> str:
        r = self.rng
        prefix, length = r.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
                                   ("34", 15), ("37", 15), ("36", 14), ("38", 14), ("6011", 16),
                                   ("3528", 16), ("6759", 16), ("1220", 15), ("4917", 16)])
        number = luhn_complete(prefix, length, r)
        if length == 16 and r.random() < 0.5:
            sep = r.choice([" ", "-"])
            number = sep.join(number[i:i + 4] for i in range(0, 16, 4))
        return number

    def iban(self) -> str:
        for _ in range(5000):
            country = self.rng.choice(IBAN_COUNTRIES)
            bban = ""
            for count, kind in re.findall(r"(\d+)!([nac])", self.bban[country]):
                pool = {"n": string.digits, "a": string.ascii_uppercase, "c": string.digits + string.ascii_uppercase}[kind]
                bban += "".join(self.rng.choice(pool) for _ in range(int(count)))
            number = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
            if stdnum_iban.is_valid(number):
                return number if self.rng.random() < 0.5 else " ".join(number[i:i + 4] for i in range(0, len(number), 4))
        raise RuntimeError("no valid IBAN generated")

    def ipv4(self) -> str:
        return ".".join(str(self.rng.randint(1, 254)) for _ in range(4))

    def ipv6(self) -> str:
        groups = [f"{self.rng.randint(0, 0xFFFF):x}" for _ in range(8)]
        return self.rng.choice([":".join(groups), f"{groups[0]}:{groups[1]}::{groups[7]}", f"fe80::{groups[6]}:{groups[7]}"])

    def ssn(self) -> str:
        area = self.rng.choice([a for a in range(1, 900) if a not in (666,)])
        number = f"{area:03d}{self.rng.randint(1, 99):02d}{self.rng.randint(1, 9999):04d}"
        sep = self.rng.choice(["-", " ", ".", ""])
        return sep.join((number[:3], number[3:5], number[5:])) if sep else number

    def itin(self) -> str:
        return f"9{self.rng.randint(0, 99):02d}-{self.rng.choice([70, 75, 78, 80, 88, 90, 92, 94]):02d}-{self.rng.randint(0, 9999):04d}"

    def nhs(self) -> str:
        while True:
            digits = [self.rng.randint(0, 9) for _ in range(9)]
            check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
            check = 0 if check == 11 else check
            if check != 10:
                number = "".join(map(str, digits)) + str(check)
                return self.rng.choice([number, f"{number[:3]} {number[3:6]} {number[6:]}", f"{number[:3]}-{number[3:6]}-{number[6:]}"])

    def dea(self) -> str:
        letters = self.rng.choice("ABFGMPR") + self.rng.choice(string.ascii_uppercase)
        d = [self.rng.randint(0, 9) for _ in range(6)]
        check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
        return letters + "".join(map(str, d)) + str(check)

    def bitcoin(self) -> str:
        payload = bytes([0]) + bytes(self.rng.randint(0, 255) for _ in range(20))
        check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
        number = int.from_bytes(payload + check, "big")
        encoded = ""
        while number:
            number, rest = divmod(number, 58)
            encoded = BASE58[rest] + encoded
        return "1" + encoded

    def us_phone(self) -> str:
        r = self.rng
        area, exchange, line = r.choice([212, 312, 415, 617, 206, 303, 404, 512]), r.randint(201, 989), r.randint(0, 9999)
        return r.choice([f"({area}) {exchange}-{line:04d}", f"+1 {area} {exchange} {line:04d}",
                         f"{area}-{exchange}-{line:04d}", f"{area}.{exchange}.{line:04d}"])

    def intl_phone(self) -> str:
        r, d = self.rng, lambda n: "".join(self.rng.choice(string.digits) for _ in range(n))
        return r.choice([f"+44 20 7{d(3)} {d(4)}", f"+49 30 {d(7)}", f"+31 6 {d(8)}", f"020 7{d(3)} {d(4)}",
                         f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}", f"+972 9-{r.randint(700, 999)}{d(4)}"])

    # ---- cases ---------------------------------------------------------------------
    def cases(self, n: int = 300) -> List[Sample]:
        f = self.faker
        kinds: List[Callable[[], Sample]] = [
            lambda: self._one("CREDIT_CARD", self.card(), ["", "my credit card: ", "my credit card number is ", "card "], [""]),
            lambda: self._one("EMAIL_ADDRESS", f.email(), ["", "my email is ", "contact: "], ["", " thanks"]),
            lambda: self._two("EMAIL_ADDRESS", f.email(), f.email(), "try one of these emails: {} or {}"),
            lambda: self._one("IBAN_CODE", self.iban(), ["", "my iban is ", "IBAN: ", "transfer to "], ["", " please"]),
            lambda: self._one("IP_ADDRESS", self.ipv4(), ["", "microsoft.com ", "my ip: ", "connected from "], ["", " today"]),
            lambda: self._one("IP_ADDRESS", self.ipv6(), ["", "ipv6: ", "the address is "], [""]),
            lambda: self._one("US_SSN", self.ssn(), ["my ssn is ", "SSN: ", "social security number "], [""]),
            lambda: self._one("US_ITIN", self.itin(), ["my itin is ", "ITIN: ", "taxpayer id "], [""]),
            lambda: self._one("US_PASSPORT", str(self.rng.randint(100000000, 999999999)), ["my passport number is ", "passport: ", "US passport "], [""]),
            lambda: self._one("US_PASSPORT", self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + str(self.rng.randint(10000000, 99999999)), ["passport no. ", "my passport: "], [""]),
            lambda: self._one("US_DRIVER_LICENSE", self.rng.choice("ABCDEFGHJK") + str(self.rng.randint(1000000, 9999999)), ["my driver license is ", "driver's license: ", "DL "], [""]),
            lambda: self._one("UK_NHS", self.nhs(), ["my nhs number is ", "NHS: ", "nhs no "], [""]),
            lambda: self._one("URL", self.rng.choice(["https://www.", "http://", "www.", "https://"]) + f.domain_name() + self.rng.choice(["", "/", "/path/to/page", "/index.html?q=1"]), ["", "visit ", "my site is "], [""]),
            lambda: self._one("CRYPTO", self.bitcoin(), ["", "my wallet is ", "send btc to "], [""]),
            lambda: self._one("PHONE_NUMBER", self.us_phone(), ["", "My US number is ", "call me at "], [""]),
            lambda: self._one("PHONE_NUMBER", self.intl_phone(), ["", "my international one is ", "phone: "], [""]),
            lambda: self._one("MEDICAL_LICENSE", self.dea(), ["dea ", "my DEA number is ", "medical license "], [""]),
            lambda: self._one("US_BANK_NUMBER", str(self.rng.randint(10 ** 9, 10 ** 14)), ["my bank account is ", "account number: ", "bank acct "], [""]),
            lambda: self._one("PERSON", f"{f.first_name()} {f.last_name()}", ["", "my name is ", "I met "], ["", " is the CEO", " called yesterday"]),
            lambda: self._one("PERSON", f.first_name(), ["my name is ", "I am ", "ask "], ["", " please"]),
        ]
        samples = []
        for i in range(n):
            samples.append(kinds[i % len(kinds)]())
        return samples

    def _one(self, kind: str, value: str, before: List[str], after: List[str]) -> Sample:
        sample = Sample()
        sample.add(self.rng.choice(before))
        sample.add(value, kind)
        sample.add(self.rng.choice(after))
        return sample

    def _two(self, kind: str, first: str, second: str, template: str) -> Sample:
        head, middle, tail = template.split("{}")[0], template.split("{}")[1], template.split("{}")[2]
        sample = Sample()
        sample.add(head)
        sample.add(first, kind)
        sample.add(middle)
        sample.add(second, kind)
        sample.add(tail)
        return sample
