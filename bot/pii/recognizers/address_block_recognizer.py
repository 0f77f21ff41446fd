"""Addresses of any country, by their shape rather than their words.

Street-name patterns cannot know every country's streets ("Fitjabraut 87", "Νοταρά 229",
"PSC 2322, Box 6025"). Two shapes catch them:
- after an address cue ("my address is", "lives at", "send it to", "woon op"), the words up
  to the end of the sentence, when they hold a number or a P.O. box: the street line;
- a street line (a number next to words, or a box) followed by lines of a postal layout:
  an apartment or suite line, a town, a region, a country with a postcode.
In both, the postal lines that follow are taken too.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import CandorEntityRecognizer, PATTERN_TIMEOUT, finding

# Line breaks as typed, and as some clients send them (a backslash and an n).
BREAK = regex.compile(r"(?:\r?\n|\\n)+")
LEAD = regex.compile(r"[\s?}{>|*\-]+")
CUE = regex.compile(
    r"\b(?:(?:my |his |her |their |our |the |new |home |delivery |shipping |billing |postal |mailing )*"
    r"(?:address|addr\.?|adres|bezorgadres|afleveradres|woonadres|anschrift)(?: is| was| to| should be| moet zijn| is nu)?"
    r"|located at|located on|lives at|lives on|live at|live on|living at|reside at|woon(?:t|achtig)? (?:op|aan|in)|"
    r"wonen (?:op|aan)|lived? in|living in|lives in|sent to|send (?:\w+ ){0,3}to|deliver(?:ed)? (?:it )?to|ship(?:ped)? (?:it )?to|"
    r"bezorg(?:en|d)? (?:op|aan|bij)|stuur (?:het |ze )?naar|verzend(?:en)? naar|drops? (?:you |me )?off at|"
    r"stop at|meet(?:ing)? (?:\w+ )?at|taxi to|return (?:it )?to|pick (?:me )?up (?:at|from)|it is in|it's in|"
    r"it is at|it's at|the corner of|here (?:it is|they are)|(?<=address\W{1,3})(?:it is|it's|this is))\b[ \t]*[:\-]?[ \t]*",
    regex.IGNORECASE,
)
# Where a street line after a cue ends: a question mark, a full stop that ends a sentence
# (not "St." or "Apt."), or words that start a new clause.
END = regex.compile(
    r"\?|!|(?<!\b(?:St|Str|Aqq|Apt|Ave|Av|Rd|Dr|Ctra|Avda|R|No|Nr|Ste|Blvd|Sq|Pl|Ln|Mt|Ft|Jr|Sr|u|[A-Z]))\.(?=\s*$|\s+\p{Lu}\p{Ll}*\s+\p{Ll})"
    r"|\s(?:for|in case|please|pls|because|thanks|thank you|so that|so|but|when|if|i am|i'm|as|about|re|"
    r"regarding|concerning|also|it's|it is|its|graag|alstublieft|aub|want|maar|omdat|bedankt|dank|betreft|"
    r"ook|over|voor|om)\b|\s(?:and|en|or)(?=\s+(?-i:\p{Ll}))|\s[-–]\s",
    regex.IGNORECASE,
)
NUMBER = regex.compile(r"(?<![\w.,:/-])\d{1,6}[A-Za-z]?(?![\w/:-]|[.,]\d)")
BOX = regex.compile(r"\b(?:P\.?\s?O\.?\s?Box|PSC|Box|USNS|USNV|USS|USCGC|CMR|Unit)\b", regex.IGNORECASE)
STREET_LINE = regex.compile(
    r"^(?=.*\p{L}{2})(?!.*@)(?!.*https?:)(?!.*\d{6,})[\p{L}\d][\p{L}\d'’.,/\- ]{2,80}$"
)
UNIT_LINE = regex.compile(r"^(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|bus|box)\.?\s*#?\w{1,6}$", regex.IGNORECASE)
PLACE_LINE = regex.compile(
    r"^(?:,\s*)?(?:[\p{Lu}][\p{L}'’.\-]*|nan|[\p{Lu}]{2,3})(?:[ \t,]+(?:[\p{L}][\p{L}'’.\-]*|[\p{Lu}]{2,3}))*"
    r"(?:[ \t,]+(?:\d{4,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|\d{4}\s?[A-Z]{2}))?$"
    r"|^(?:,\s*)?(?:\d{4,6}|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})$"
)
# A message that is only a postcode (the answer to "what is the postcode of the delivery address?").
LONE_POSTCODE = regex.compile(
    r"^\s*(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2})\s*[.!]?\s*$", regex.IGNORECASE)
MAX_LINES = 6
UNIT_INSIDE = regex.compile(r"\d.*\b(?:apt|apartment|suite|ste|unit|flat)\.?\s*#?\d", regex.IGNORECASE)
ZIP = regex.compile(
    r"(?<=\b(?:zip(?: ?code)?|postcode|postal code|post code|plz|code postal)\b[ \t]*(?:[:#=]|is|was)?[ \t]*)"
    r"(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{4}\s?[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|\d{3}\s\d{2}|\d{4,5}(?:-\d{4})?)\b",
    regex.IGNORECASE,
)
# Lower-case words a street line may hold ("Rua das Imbuias", "Nina and Tom Wilhelmsens vei");
# sentence words ("i ordered 2 chairs") make it prose, not an address.
PROSE = frozenset("""the is my to a an it in on at for me we you he she i ik je ben een was are am be of
    with and/or order ordered have has had will would can could please pls thanks bestelling besteld
    wil kan heb heeft niet geen""".split())


class AddressBlockRecognizer(CandorEntityRecognizer):
    """Street lines after an address cue, and postal layouts of any country."""

    ENTITY = "STREET_ADDRESS"

    @staticmethod
    def _lines(text: str) -> List[Tuple[int, int]]:
        """(start, end) of each line, without the breaks and the bullets in front."""
        lines, position = [], 0
        for match in list(BREAK.finditer(text)) + [None]:
            end = match.start() if match else len(text)
            lead = LEAD.match(text, position, end)
            start = lead.end() if lead else position
            stripped_end = end
            while stripped_end > start and text[stripped_end - 1] in " \t":
                stripped_end -= 1
            lines.append((start, stripped_end))
            position = match.end() if match else len(text)
        return lines

    @staticmethod
    def _postal(line: str) -> bool:
        if not line or len(line) > 60 or line.rstrip().endswith(":"):
            return False
        return bool(UNIT_LINE.match(line) or PLACE_LINE.match(line) or BOX.match(line))

    @staticmethod
    def _street(line: str, cued: bool = False) -> bool:
        if not cued and (not STREET_LINE.match(line) or len(line.split()) > 14):
            return False
        if not cued:
            for word in regex.findall(r"[\p{L}'’]+", line):
                if word[0].islower() and (len(word) > 4 or word in PROSE):
                    return False
            if not regex.search(r"\p{Lu}", line):
                return False
        return bool(NUMBER.search(line) or BOX.search(line))

    def _absorb(self, text: str, lines: List[Tuple[int, int]], index: int, end: int) -> int:
        """The end of the postal lines that follow line `index` (the last one up to where
        its sentence ends: "APO AA 24493. Please call me")."""
        for start, line_end in lines[index + 1:index + MAX_LINES]:
            if start >= line_end:
                continue
            stop = END.search(text, start, line_end)
            if stop:
                if stop.start() > start and (self._postal(text[start:stop.start()].rstrip(" ,")) or self._street(text[start:stop.start()])):
                    end = start + len(text[start:stop.start()].rstrip(" ,"))
                break
            if not (self._postal(text[start:line_end]) or self._street(text[start:line_end])):
                break
            end = line_end
        return end

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        results: List[RecognizerResult] = []
        lines = self._lines(text)
        taken: List[Tuple[int, int]] = []
        # 1. After a cue: the rest of the sentence, when it holds a number or a box.
        for cue in CUE.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
            index = next((i for i, (a, b) in enumerate(lines) if a <= cue.end() <= b), None)
            if index is None:
                continue
            line_end = lines[index][1]
            stop = END.search(text, cue.end(), line_end)
            end = stop.start() if stop else line_end
            span = text[cue.end():end].rstrip(" ,;:")
            if not span or not self._street(span, cued=True) or len(span) > 120:
                continue
            end = cue.end() + len(span)
            if not stop and end == line_end:
                end = self._absorb(text, lines, index, end)
            taken.append((cue.end(), end))
            results.append(finding(self, cue.end(), end, 0.6, "after an address cue"))
        for match in ZIP.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
            results.append(finding(self, match.start(), match.end(), 0.6, "after a postcode cue"))
        lone = LONE_POSTCODE.match(text, timeout=PATTERN_TIMEOUT, concurrent=True)
        if lone:
            value = lone.group(0).strip().rstrip(".!")
            start = text.index(value)
            results.append(finding(self, start, start + len(value), 0.6, "a postcode on its own"))
        # 2. A postal layout: a street line followed by postal lines.
        for index, (start, end) in enumerate(lines):
            if any(a <= start < b for a, b in taken) or not self._street(text[start:end]):
                continue
            block_end = self._absorb(text, lines, index, end)
            if block_end == end and not UNIT_INSIDE.search(text[start:end]):
                continue
            taken.append((start, block_end))
            results.append(finding(self, start, block_end, 0.6, "postal layout"))
        return results
