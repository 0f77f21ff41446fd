"""Generated, obviously fake chat messages with known personal data and business tokens.

Faker (English, British, Dutch and other locales) makes the values; templates put them in
chat-style sentences (cues and no cues, lower case, all caps, typos, several values per
message); negative messages are full of order numbers, invoices, tracking codes, prices,
dates and product names that must survive masking.
"""
from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import List, Tuple

from faker import Faker

NAME_LOCALES = ["en_US", "en_GB", "nl_NL", "tr_TR", "pl_PL", "id_ID", "es_ES", "fr_FR"]
PRODUCTS = ["Emma mattress", "Billy bookcase", "Oak side table", "Linen bedding set",
            "Jasmine scented candle", "Hugo desk lamp", "Cast-iron pan", "Wool throw blanket",
            "Victoria glass vase", "Nova reading chair"]


# Brands named after people (pii.yml allow_list.brand), and Dutch and Belgian places.
BRANDS = ["Calvin Klein", "Paul Smith", "Tommy Hilfiger", "Ralph Lauren", "Dr. Oetker", "Hugo Boss",
          "Michael Kors", "Ted Baker", "Fred Perry", "Douwe Egberts"]
PLACES = ["Capelle aan den IJssel", "Rotterdam", "Den Haag", "'s-Hertogenbosch", "Antwerpen", "Bergen op Zoom",
          "Alphen aan den Rijn", "Zaandam", "Gent", "Hoofddorp", "Amersfoort", "Nieuwegein"]


@dataclass
class Sample:
    text: str = ""
    values: List[Tuple[str, int, int]] = field(default_factory=list)
    business: List[Tuple[str, int, int]] = field(default_factory=list)

    def add(self, part: str, kind: str = "", business: bool = False) -> None:
        start = len(self.text)
        self.text += part
        if kind:
            (self.business if business else self.values).append((kind, start, len(self.text)))


class Generator:
    def __init__(self, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        Faker.seed(seed)
        self.fakers = {loc: Faker(loc) for loc in NAME_LOCALES}
        self.en, self.nl, self.gb = self.fakers["en_US"], self.fakers["nl_NL"], self.fakers["en_GB"]

    # ---- values ---------------------------------------------------------------------
    def case(self, text: str) -> str:
        r = self.rng.random()
        return text.lower() if r < 0.45 else text.upper() if r < 0.55 else text

    def person(self) -> str:
        faker = self.fakers[self.rng.choice(NAME_LOCALES)]
        return self.case(f"{faker.first_name()} {faker.last_name()}")

    def email(self) -> str:
        return self.rng.choice([self.en, self.nl, self.gb]).email()

    def phone(self) -> str:
        r, d = self.rng, lambda n: "".join(self.rng.choice(string.digits) for _ in range(n))
        mobile = f"6{r.choice('12345')}{d(7)}"
        area = r.choice(["20", "10", "70", "30", "40", "50", "13"])
        return r.choice([
            f"0{mobile[:1]}-{mobile[1:]}", f"0{mobile}", f"0{mobile[:1]} {mobile[1:5]} {mobile[5:]}",
            f"+31 {mobile[:1]} {mobile[1:]}", f"+31{mobile}", f"+31 (0){mobile}",
            f"0{area}-{d(7)}" if len(area) == 2 else f"0{area}-{d(6)}", f"0{area} {d(3)} {d(4)}",
            f"+44 20 7{d(3)} {d(4)}", f"07{r.choice('45789')}{d(2)} {d(6)}",
            f"({r.choice(['212', '415', '312', '617', '206'])}) {r.randint(201, 989)}-{d(4)}",
            f"{r.choice(['212', '415', '312'])}-{r.randint(201, 989)}-{d(4)}",
            f"+1 {r.choice(['212', '415', '312'])} {r.randint(201, 989)} {d(4)}",
        ])

    def iban(self) -> str:
        raw = self.nl.iban() if self.rng.random() < 0.7 else self.fakers["fr_FR"].iban()
        spaced = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
        return self.rng.choice([raw, spaced, raw.lower(), spaced.lower()])

    def card(self) -> str:
        number = self.en.credit_card_number(card_type=self.rng.choice(["visa", "mastercard", "amex"]))
        if len(number) == 16 and self.rng.random() < 0.5:
            sep = self.rng.choice([" ", "-"])
            number = sep.join(number[i:i + 4] for i in range(0, 16, 4))
        return number

    def bsn(self) -> str:
        while True:
            digits = [self.rng.randint(0, 9) for _ in range(8)]
            total = sum(d * w for d, w in zip(digits, range(9, 1, -1)))
            last = total % 11
            if last < 10 and digits[0] != 0:
                return "".join(map(str, digits + [last]))

    def be_national_number(self) -> str:
        """A Belgian national register number with valid check digits (born before 2000)."""
        r = self.rng
        first = f"{r.randint(40, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(1, 997):03d}"
        check = 97 - int(first) % 97
        digits = f"{first}{check:02d}"
        return r.choice([f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:]}", digits,
                         f"{digits[:6]}-{digits[6:9]}-{digits[9:]}", f"{digits[:6]} {digits[6:9]} {digits[9:]}"])

    def uk_nino(self) -> str:
        r = self.rng
        while True:
            prefix = r.choice("ABCEGHJKLMNOPRSTWXYZ") + r.choice("ABCEGHJKLMNPRSTWXYZ")
            if prefix not in {"BG", "GB", "NK", "KN", "NT", "TN", "ZZ"}:
                break
        digits = "".join(r.choice(string.digits) for _ in range(6))
        suffix = r.choice("ABCD")
        return r.choice([f"{prefix}{digits}{suffix}", f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"])

    def uk_driving_licence(self) -> str:
        r = self.rng
        surname = "".join(c for c in self.gb.last_name().upper() if c.isalpha())[:5].ljust(5, "9")
        year, month, day = r.randint(1940, 2005), r.randint(1, 12) + r.choice([0, 50]), r.randint(1, 28)
        initials = "".join(r.choice(string.ascii_uppercase) for _ in range(r.choice([1, 2]))).ljust(2, "9")
        check = "".join(r.choice(string.ascii_uppercase) for _ in range(2))
        return f"{surname}{str(year)[2]}{month:02d}{day:02d}{str(year)[3]}{initials}9{check}"

    def credential(self) -> Tuple[str, str]:
        """A cue and a user name, password or PIN (Faker's)."""
        r, faker = self.rng, self.rng.choice([self.en, self.nl, self.gb])
        kind = r.choice(["user", "password", "pin"])
        if kind == "user":
            return r.choice(["my username is ", "login: ", "gebruikersnaam: ", "user name ", "inlognaam is "]), faker.user_name()
        if kind == "pin":
            return r.choice(["my pin is ", "pin ", "pincode: "]), "".join(r.choice(string.digits) for _ in range(4))
        return (r.choice(["my password is ", "password: ", "pw ", "wachtwoord: ", "mijn wachtwoord is ", "passwd="]),
                faker.password(length=r.randint(8, 14), special_chars=r.random() < 0.5))

    TITLES = ["Prof. Dr.", "Dr.", "Drs.", "Ir.", "mr.", "Mevr.", "Dhr.", "Mr", "Mrs", "Ms", "Sir", "mevrouw", "meneer"]

    def formal_name(self) -> str:
        """A name written the formal way: a title and/or initials before a (Dutch) surname."""
        r = self.rng
        surname = r.choice([self.nl, self.gb, self.fakers["fr_FR"]]).last_name()
        letters = [r.choice("ABCDEFGHJKLMNPRSTW") for _ in range(r.randint(1, 3))]
        initials = r.choice([".".join(letters) + ".", f"{letters[0]}.Th.", f"{letters[0]}."])
        return r.choice([f"{r.choice(self.TITLES)} {initials} {surname}", f"{r.choice(self.TITLES)} {surname}",
                         f"{initials} {surname}", f"{r.choice(self.TITLES)} {self.nl.first_name()} {surname}"])

    def ip(self) -> str:
        return self.en.ipv4() if self.rng.random() < 0.8 else self.en.ipv6()

    def address(self) -> str:
        r = self.rng.random()
        if r < 0.5:
            nl = self.nl
            text = f"{nl.street_name()} {nl.building_number()}{self.rng.choice(['', 'a', ' B', '-2'])}, {nl.postcode()} {nl.city()}"
        elif r < 0.75:
            gb = self.gb
            text = f"{gb.building_number()} {gb.street_name()}, {gb.city()} {gb.postcode()}"
        else:
            en = self.en
            text = f"{en.building_number()} {en.street_name()}, {en.city()}, {en.state_abbr()} {en.zipcode()}"
        return self.case(text) if self.rng.random() < 0.6 else text

    # ---- business tokens -----------------------------------------------------------------
    def business(self) -> Tuple[str, str]:
        r, d = self.rng, lambda n: "".join(self.rng.choice(string.digits) for _ in range(n))
        kind = r.choice(["order", "invoice", "tracking", "price", "date", "product", "brand", "other_order",
                         "carrier_code", "place", "delivery", "payment", "ordinary", "time",
                         "bank", "country", "holiday", "discount_code", "shop", "day_of_month"])
        value = {
            "order": lambda: r.choice([f"CND-{d(6)}", f"cnd{d(6)}", f"CND {d(6)}"]),
            "invoice": lambda: f"INV-{r.randint(2024, 2026)}-{d(5)}",
            "tracking": lambda: r.choice([
                "3S" + "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(11)),
                f"JVGL{d(14)}", "1Z" + "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(16))]),
            "price": lambda: r.choice([f"€{r.randint(5, 999)},{d(2)}", f"EUR {r.randint(5, 999)}.{d(2)}",
                                       f"${r.randint(5, 999)}.{d(2)}", f"{r.randint(5, 999)} euro"]),
            "date": lambda: r.choice([f"{r.randint(1, 28):02d}-{r.randint(1, 12):02d}-2026",
                                      f"{r.randint(1, 28)} march", f"march {r.randint(1, 28)}",
                                      f"{r.randint(1, 28)}/{r.randint(1, 12)}/2026", "next tuesday"]),
            "product": lambda: r.choice(PRODUCTS),
            "brand": lambda: r.choice(BRANDS) + r.choice([" riem", " shirt", " pizza", " jas", " sneakers", " perfume", " bag", ""]),
            "other_order": lambda: r.choice([f"#B-{d(5)}", f"#{d(6)}", f"#AB{d(6)}", f"B-{d(5)}"]),
            "carrier_code": lambda: r.choice([f"DPD tracking {d(14)}", f"GLS parcel {d(12)}", f"zendingnummer {d(14)}"]),
            "place": lambda: r.choice(PLACES),
            "delivery": lambda: r.choice(["tomorrow morning", "morgen", "volgende week dinsdag", "3 werkdagen",
                                          "within 2 business days", "friday", "zaterdag", "over twee weken",
                                          "vandaag", "next week", "deze week", "in 5 working days"]),
            "payment": lambda: r.choice(["iDEAL", "Klarna", "PayPal", "Riverty", "Bancontact", "Apple Pay", "PostNL", "DHL"]),
            "ordinary": lambda: r.choice(["ik ben blij", "wil even vragen", "het is al betaald", "dank je wel",
                                          "graag gedaan", "geen probleem", "ik wacht nog", "im waiting", "all good"]),
            "time": lambda: r.choice(["14:00", "10 am", "9.30 uur", "tussen 18:00 en 21:00", "before noon"]),
            "bank": lambda: r.choice(["ING", "Rabobank", "ABN AMRO", "SNS", "bunq", "Triodos", "KBC", "Belfius", "Revolut", "Knab"]),
            "country": lambda: r.choice(["Germany", "Belgium", "France", "the United Kingdom", "Spain", "Duitsland", "België",
                                         "Frankrijk", "Luxemburg", "Oostenrijk", "Denmark", "Zwitserland", "Ireland", "Poland"]),
            "holiday": lambda: r.choice(["Christmas", "Sinterklaas", "Kerst", "Easter", "Pasen", "Koningsdag", "Black Friday",
                                         "Mother's Day", "Moederdag", "New Year", "Valentine's Day", "Pinksteren"]),
            "discount_code": lambda: "".join(r.choice(string.ascii_uppercase) for _ in range(r.randint(4, 7))) + d(r.choice([2, 3])),
            "shop": lambda: r.choice(["MediaMarkt", "Amazon", "Praxis", "Gamma", "Karwei", "Decathlon", "Primark", "Intratuin",
                                      "Bever", "Hornbach", "Otto", "Fonq"]),
            "day_of_month": lambda: r.choice([f"vrijdag de {r.randint(1, 28)}e", f"on the {r.randint(4, 20)}th",
                                              f"op de {r.randint(1, 28)}e", f"maandag de {r.randint(1, 28)}e"]),
        }[kind]()
        return kind, value

    # ---- messages --------------------------------------------------------------------------
    PERSON_CUES = [
        ("my name is ", ""), ("this is ", " speaking"), ("hi, ", " here"), ("i'm ", ""),
        ("ik ben ", ""), ("mijn naam is ", ""), ("the name on the account is ", ""),
        ("it's ", " again"), ("hello this is ", ""), ("MY NAME IS ", ""),
    ]
    SLOTS = {
        "EMAIL_ADDRESS": ["my email is ", "mail me at ", "e-mail: ", "contact ", "mijn email is "],
        "PHONE_NUMBER": ["call me on ", "my number is ", "bel me op ", "phone: ", "reach me at "],
        "IBAN_CODE": ["refund it to ", "my iban is ", "rekeningnummer ", "account "],
        "CREDIT_CARD": ["my card is ", "card number ", "i paid with "],
        "NL_BSN": ["my bsn is ", "bsn ", "burgerservicenummer: ", "citizen service number "],
        "IP_ADDRESS": ["my ip is ", "from ip ", "the site blocked "],
        "STREET_ADDRESS": ["i live at ", "send it to ", "my address is ", "mijn adres is ", "deliver to "],
        "BE_NATIONAL_NUMBER": ["mijn rijksregisternummer is ", "rijksregisternummer: ", "national number ", "INSZ "],
        "UK_NINO": ["my NI number is ", "national insurance number ", "NINO: "],
        "UK_DRIVING_LICENCE": ["driving licence number ", "my licence is ", "licence no. "],
    }
    FILLERS = ["where is my order", "i need help with my delivery", "the parcel never arrived",
               "can you check this please", "i want a refund", "my package is late",
               "please update my details", "thanks in advance", "is this correct"]

    def typo(self, text: str) -> str:
        if len(text) < 6 or self.rng.random() > 0.3:
            return text
        i = self.rng.randint(1, len(text) - 3)
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]

    def positive(self) -> Sample:
        sample = Sample()
        kinds = self.rng.sample(["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD",
                                 "NL_BSN", "IP_ADDRESS", "STREET_ADDRESS", "CREDENTIAL", "BE_NATIONAL_NUMBER",
                                 "UK_NINO", "UK_DRIVING_LICENCE", "PERSON"], self.rng.randint(1, 3))
        if self.rng.random() < 0.5:
            sample.add(self.typo(self.rng.choice(self.FILLERS)) + ". ")
        for index, kind in enumerate(kinds):
            if index:
                sample.add(self.rng.choice([". ", ", and ", " and ", ". also "]))
            if kind == "CREDENTIAL":
                cue, value = self.credential()
                sample.add(cue)
                sample.add(value, kind)
                continue
            if kind == "PERSON" and self.rng.random() < 0.3:
                sample.add(self.rng.choice(["Geachte ", "Dear ", "Kind regards, ", "groeten, ", "pakket voor ", "t.a.v. ", ""]))
                sample.add(self.formal_name(), "PERSON")
                continue
            if kind == "PERSON":
                if self.rng.random() < 0.15:
                    faker = self.fakers[self.rng.choice(NAME_LOCALES)]
                    sample.add(self.rng.choice(["Can ", "Please let ", "Yesterday "]))
                    sample.add(f"{faker.first_name()} {faker.last_name()}", "PERSON")
                    sample.add(self.rng.choice([" pick up the parcel", " collect it", " called you"]))
                else:
                    before, after = self.rng.choice(self.PERSON_CUES)
                    sample.add(before)
                    sample.add(self.person(), "PERSON")
                    sample.add(after)
                continue
            sample.add(self.rng.choice(self.SLOTS[kind]))
            value = {"EMAIL_ADDRESS": self.email, "PHONE_NUMBER": self.phone, "IBAN_CODE": self.iban,
                     "CREDIT_CARD": self.card, "NL_BSN": self.bsn, "IP_ADDRESS": self.ip,
                     "STREET_ADDRESS": self.address, "BE_NATIONAL_NUMBER": self.be_national_number,
                     "UK_NINO": self.uk_nino, "UK_DRIVING_LICENCE": self.uk_driving_licence}[kind]()
            sample.add(value, kind)
        if self.rng.random() < 0.5:
            kind, value = self.business()
            sample.add(self.rng.choice([" about order ", " re ", ", it's about ", " for "])
                       if kind in self.ABOUT_ORDER else ". " + self.lead(kind))
            sample.add(value, kind, business=True)
        return sample

    # Business tokens that can follow "about order"; the others come with their own words.
    ABOUT_ORDER = frozenset({"order", "invoice", "tracking", "price", "date", "product", "brand", "other_order",
                             "carrier_code", "place", "delivery", "payment", "ordinary", "time"})

    def lead(self, kind: str) -> str:
        """The words a customer puts before a business token of this kind."""
        r = self.rng
        if kind in ("invoice", "tracking", "product", "price"):
            return r.choice(["", "the ", "ref ", "for ", "de "])
        return {"place": "bezorgen jullie in ", "payment": "betalen met ", "time": "om ", "other_order": "order ",
                "date": "on ", "bank": r.choice(["betaald met ", "refund to my ", "via "]),
                "country": r.choice(["do you ship to ", "bezorgen jullie in ", "levering naar "]),
                "holiday": r.choice(["before ", "voor ", "na "]),
                "discount_code": r.choice(["discount code ", "kortingscode ", "voucher "]),
                "shop": r.choice(["I bought it at ", "besteld bij ", "cheaper at "])}.get(kind, "")

    def negative(self) -> Sample:
        sample = Sample()
        sample.add(self.typo(self.rng.choice(self.FILLERS)) + ": ")
        for index in range(self.rng.randint(2, 4)):
            if index:
                sample.add(self.rng.choice([", ", " and ", ". ", " - "]))
            kind, value = self.business()
            sample.add(self.lead(kind))
            sample.add(value, kind, business=True)
        return sample

    def dataset(self, positives: int = 600, negatives: int = 200) -> List[Sample]:
        return [self.positive() for _ in range(positives)] + [self.negative() for _ in range(negatives)]
