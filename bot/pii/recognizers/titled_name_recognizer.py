"""Names written the formal way: a title or initials before a surname.

"Drs. P.J. Smit", "Prof. Dr. Jan-Willem van der Berg", "mevr. El Amrani", "A.Th.Chr. de
Vries", "dhr. J. de Boer", "Mr. Jones". spaCy's small English model often tags only the
title, or takes dotted initials for a web address; the title, the initials and the
particles belong to the name and are masked with it.
"""
from __future__ import annotations

from presidio_analyzer import Pattern

from bot.pii.recognizers.base import CandorPatternRecognizer

TITLE = (
    r"(?:prof|dr|drs|ir|mr|mrs|ms|mx|mevr|mw|dhr)\.?|sir|dame|lady|miss|madam|madame|meneer|"
    r"mevrouw|de heer|juffrouw|professor|dokter|monsieur"
)
INITIALS = r"(?-i:(?:\p{Lu}\p{Ll}{0,2}\.[ \t]?){1,5})"
PARTICLES = r"(?:van|de|der|den|ter|ten|te|het|la|le|von|da|di|du|dos|del|el|al|ben|bin|op|in 't|'t|'s|d')"
SURNAME = r"(?-i:\p{Lu}[\p{Ll}'\u2019]+(?:-(?:\p{L}+-)?\p{Lu}?[\p{Ll}'\u2019]+)*)"
FAMILY = rf"(?:{PARTICLES}[ \t]+)*{SURNAME}"
# A title, maybe a first name or initials, then the family name (and a second one).
TITLED = rf"\b(?:(?:{TITLE})[ \t]+)+(?:{INITIALS}|{SURNAME}[ \t]+)?{FAMILY}(?:[ \t]+{FAMILY})?"
# Dotted initials before a surname without a title ("P.J. Smit", "A. de Vries").
INITIALLED = rf"(?<![\p{{L}}.])(?!(?-i:P\.S|N\.B|U\.S|U\.K|E\.U|A\.U\.B)\.)(?-i:\p{{Lu}}(?:\.\p{{Lu}}\p{{Ll}}{{0,2}})+\.[ \t]?|(?:\p{{Lu}}\.[ \t]?){{1,4}})[ \t]*{FAMILY}"


class TitledNameRecognizer(CandorPatternRecognizer):
    """A formal name: title(s), initials, particles and surname, masked as one."""

    ENTITY = "PERSON"
    PATTERNS = [
        Pattern("titled name", TITLED, 0.7),
        Pattern("initials and surname", INITIALLED, 0.6),
    ]
    CONTEXT = ["dear", "geachte", "beste", "regards", "groet", "naam", "name"]
