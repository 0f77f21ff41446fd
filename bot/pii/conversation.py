"""Masking for one conversation: consistent placeholders, vaulted originals, fail closed."""
from __future__ import annotations

import logging
import re
import secrets
from typing import Any, Dict, Iterable, List, Optional, Tuple


from sqlalchemy.exc import SQLAlchemyError

from bot.constants import CANDOR_METADATA_KEYS, CandorMeta
from bot.pii.engine import Finding, Masked, Placeholders, engine
from bot.storage import stores
from bot.storage.keys import digester

logger = logging.getLogger(__name__)

WITHHELD = "[withheld: personal data could not be checked]"
# Keys whose values are structure, not content: never masked.
STRUCTURAL_KEYS = frozenset(
    """event name policy timestamp confidence entity extractor start end input_channel
    message_id id type_name intent_name action_name processor role group
    is_interrupted hide_rule_turn action_text""".split()
)
# Candor's own message metadata (`{"candor": {...}}`, written by the actions and the desk):
# these are codes and ids, not content. agent_id is an operator-chosen staff id
# (agents.yml), kept so that every human reply can be accounted for.

# A key that is a plain identifier ("utter_action", "locale") is structure; any other key
# of client metadata ("Jan Jansen", "jan@example.com") is masked like a value.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")
CLIENT_DATA_SLOTS = frozenset({"session_started_metadata"})
# Rasa's own input channels; any other `input_channel` value came from a client.
KNOWN_CHANNELS = frozenset({"rest", "socketio", "agent_desk", "cmdline", "callback", "rasa", "inspector"})
MAX_DEPTH = 8
TOO_DEEP = "[withheld: nested too deeply]"


def _operator(rules: Dict[str, Any], entity_type: str) -> str:
    """The pii.yml operator of a type; a type Presidio found that pii.yml does not list is masked."""
    rule = rules.get(entity_type)
    return rule.operator if rule is not None else "mask"


class ConversationMasker:
    """Masks text and events of one sender's conversation, as `policies/pii.yml` says."""

    def __init__(self, sender_id: str, url: Optional[str] = None) -> None:
        self.sender_id = sender_id
        self.stores = stores(url)
        self.placeholders = self._load()
        self._cache: Dict[str, Masked] = {}
        self.failed = False

    @property
    def engine(self) -> Any:
        """The PII engine, built on first use: substituting known values (`mask_known`) needs
        none, so a process that only does that (the action server) never loads spaCy."""
        return engine()

    def _load(self) -> Placeholders:
        return Placeholders(self.stores.placeholders.known(self.sender_id), hasher=digester())

    def _persist(self, masked: Masked) -> None:
        """Store new placeholders (as keyed hashes) and vault the originals a purpose needs."""
        added, self.placeholders.added = self.placeholders.added, {}
        rules = self.engine.policy.entities
        # A `drop` value (card, IBAN, BSN, special categories) leaves no digest behind, not
        # even a keyed one that could be tested against guesses: the row only keeps the
        # placeholder's number taken.
        self.stores.placeholders.add(self.sender_id, [
            (kind, f"dropped:{secrets.token_hex(16)}" if _operator(rules, kind) == "drop" else value_digest, placeholder)
            for (kind, value_digest), placeholder in added.items()])
        for finding, placeholder in zip(masked.findings, masked.placeholders):
            if _operator(rules, finding.entity_type) == "vault":
                self.stores.vault.put(self.sender_id, placeholder, finding.entity_type, finding.text)

    def _mask_known(self, masked: Masked) -> Masked:
        """Values this conversation already masked are masked again wherever they recur,
        even where no recognizer would see them ("thanks tina o'neill!" from the bot)."""
        known = self.placeholders.known
        kinds = {kind for kind, _ in known}
        if not kinds:
            return masked
        text = masked.text
        keyed = digester()
        words = [m.span() for m in re.finditer(r"[^\s,;:!?()\"]+", text)]
        replacements: List[Tuple[int, int, str, str]] = []
        for size in range(min(5, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                start, end = words[i][0], words[i + size - 1][1]
                candidate = text[start:end].strip(".'")
                start = text.index(candidate, start) if candidate else start
                end = start + len(candidate)
                if not candidate or "<" in candidate or any(a < end and start < b for a, b, _, _ in replacements):
                    continue
                for kind in kinds:
                    key = (kind, keyed(kind, Placeholders.fold(kind, candidate)))
                    if key in known:
                        replacements.append((start, end, kind, known[key]))
                        break
        if not replacements:
            return masked
        for start, end, kind, placeholder in sorted(replacements, reverse=True):
            text = text[:start] + placeholder + text[end:]
        extra = [Finding(kind, s, e, 1.0, masked.text[s:e]) for s, e, kind, _ in sorted(replacements)]
        return Masked(text, masked.findings + extra, masked.placeholders + [p for *_, p in sorted(replacements)])

    def mask_text(self, text: str) -> Masked:
        """`text` masked with this conversation's placeholders; fails closed to a marker."""
        if text in self._cache:
            return self._cache[text]
        try:
            masked = self.engine.mask(text, self.placeholders)
            self._persist(masked)
            masked = self._mask_known(masked)
        except SQLAlchemyError:
            # The database failed, not the analysis: the turn fails as a whole (REST: 503,
            # nothing saved, send it again), rather than a withheld message for a human.
            raise
        except Exception:  # noqa: BLE001 - any failure must not let raw text through
            logger.exception("Masking failed for a message of conversation %s; nothing raw is kept.", self.sender_id)
            self.failed = True
            masked = Masked(WITHHELD, [], [])
        self._cache[text] = masked
        return masked

    def mask_known(self, text: str) -> str:
        """A text the bot built from its templates: it holds no personal data but what this
        conversation already gave (and masked), so those values are substituted by their
        placeholders; no second Presidio pass over the bot's own words. When a customer's
        message of this batch could not be checked, its values are unknown: withheld too."""
        if self.failed:
            return WITHHELD
        try:
            return self._mask_known(Masked(text, [], [])).text
        except Exception:  # noqa: BLE001 - any failure must not let raw text through
            logger.exception("Masking failed for a bot message of conversation %s; nothing raw is kept.",
                             self.sender_id)
            self.failed = True
            return WITHHELD

    def mask_value(self, value: Any, key: str = "", depth: int = 0, client: bool = False) -> Any:
        """Every string inside `value` masked, except structural keys of Rasa's own events.
        With `client` (a customer's message), every `metadata` inside is the client's data."""
        if depth > MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, str):
            if key == "input_channel":
                return value if value in KNOWN_CHANNELS else self.mask_text(value).text
            return value if key in STRUCTURAL_KEYS else self.mask_text(value).text
        if isinstance(value, dict):
            if key == "candor":
                return {k: v if k in CANDOR_METADATA_KEYS and isinstance(v, (str, bool, int))
                        else self.mask_client_data(v, depth + 1) for k, v in value.items()}
            return {k: self.mask_client_data(v, depth + 1) if client and k == "metadata"
                    else self.mask_value(v, k, depth + 1, client) for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask_value(v, key, depth + 1, client) for v in value]
        return value

    def mask_client_data(self, value: Any, depth: int = 0) -> Any:
        """Metadata a client sent: every key and value is data (a phone number may be an
        int, a name may be a key); Candor's own `candor` codes keep their shape."""
        if depth > MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            return {
                (k if not isinstance(k, str) or IDENTIFIER.fullmatch(k) else self.mask_text(k).text):
                    self.mask_value(v, "candor", depth + 1) if k == "candor" and isinstance(v, dict)
                    else self.mask_client_data(v, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.mask_client_data(v, depth + 1) for v in value]
        if isinstance(value, str):
            return self.mask_text(value).text
        if isinstance(value, (int, float)) and not isinstance(value, bool) and len(str(abs(int(value)))) >= 6:
            masked = self.mask_text(str(value)).text
            return value if masked == str(value) else masked
        return value

    def mask_event(self, event: Dict[str, Any]) -> Dict[str, Any]:
        """A tracker event (as a dict) with user text, parse data, slots, bot text and metadata masked."""
        # What a client sent along with its message is data, whatever the keys are called;
        # Rasa also copies it into a slot when a session starts.
        masked = self.mask_value(
            {**event, "text": None} if self._from_templates(event) else event, client=event.get("event") == "user")
        if self._from_templates(event):
            masked["text"] = self.mask_known(event["text"])
        if event.get("event") == "slot" and event.get("name") in CLIENT_DATA_SLOTS:
            masked["value"] = self.mask_client_data(event.get("value"))
        if event.get("event") == "user" and isinstance(event.get("text"), str):
            text = self.mask_text(event["text"])
            parse_data = masked.get("parse_data") or {}
            parse_data["text"] = text.text
            # PII entities carry the conversation's placeholders, in order of appearance.
            pii = iter(text.placeholders)
            for entity in parse_data.get("entities") or []:
                if entity.get("extractor") == "PiiMasker":
                    entity["value"] = next(pii, entity.get("value"))
            masked["parse_data"] = parse_data
        return self._keep_language_codes(event, masked)

    @staticmethod
    def _from_templates(event: Dict[str, Any]) -> bool:
        """A bot message the assistant wrote (a response or a policy text), not a human
        agent's reply (`candor.from: human`), which is analysed like a customer's."""
        if event.get("event") != "bot" or not isinstance(event.get("text"), str):
            return False
        return not CandorMeta.read(event.get("metadata")).from_human

    @staticmethod
    def _keep_language_codes(event: Dict[str, Any], masked: Dict[str, Any]) -> Dict[str, Any]:
        """The conversation's language ("nl") is a code, not personal data (spaCy takes
        "nl" for an organisation): kept where Candor records it, if it is a supported one."""
        from bot.language import SLOT, languages

        codes = set(languages().supported)
        if event.get("event") == "slot" and event.get("name") == SLOT and event.get("value") in codes:
            masked["value"] = event["value"]
        for original, kept in ((event.get("parse_data"), masked.get("parse_data")),):
            for before, after in zip((original or {}).get("entities") or [], (kept or {}).get("entities") or []):
                if before.get("entity") == SLOT and before.get("value") in codes:
                    after["value"] = before["value"]
        for original, kept in ((event.get("metadata"), masked.get("metadata")),
                               (event.get("value"), masked.get("value"))):
            if isinstance(original, dict) and isinstance(kept, dict) and original.get(SLOT) in codes:
                kept[SLOT] = original[SLOT]
        return masked

    def mask_transcript(self, lines: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """A transcript's lines as a ticket keeps them. A customer's message masked at the door
        (marked `masked`) and the bot's messages, made from templates, get the values this
        conversation gave substituted by their placeholders (no second analysis); any other
        customer message (a button payload, `rasa shell`, the HTTP API) is analysed here."""
        masked = []
        for line in lines:
            line = dict(line)
            checked = (line.pop("masked", False) or line.get("from") != "customer") and not str(
                line["text"]).startswith("/")
            line["text"] = self.mask_known(line["text"]) if checked else self.mask_text(line["text"]).text
            masked.append(line)
        return masked
