"""Names the Rasa server, the action server and the channels share: slots, actions, and
Candor's own metadata on bot messages (`{"candor": {...}}`) with its one build/read pair.

Rasa keeps what a channel or the desk sets as a bot message's metadata as it is
(`{"candor": {...}}`), but nests what an action passes to `utter_message(metadata=...)` one
level deeper (`{"metadata": {"candor": {...}}}`); `CandorMeta.read` reads both.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, Optional

# Slots (domain.yml).
SLOT_LANGUAGE = "language"
SLOT_DISCLOSURE_VERSION = "disclosure_version"
SLOT_OPT_OUT = "ai_opt_out"
SLOT_CONSENT_PENDING = "consent_pending"
SLOT_DECISION = "guardrail_decision"
SLOT_ERASURE_RECEIPT = "erasure_receipt"
SLOT_SESSION_METADATA = "session_started_metadata"

# Actions the guardrails run (actions/*.py and domain.yml).
ACTION_DISCLOSE = "action_disclose"
ACTION_HANDOFF = "action_handoff"
ACTION_OPT_OUT = "action_opt_out"
ACTION_OPT_IN = "action_opt_in"
ACTION_ANSWER_IS_BOT = "action_answer_is_bot"
ACTION_WARN_SENSITIVE = "action_warn_sensitive_data"
ACTION_RECORD_CONSENT = "action_record_consent"
ACTION_WITHDRAW_CONSENT = "action_withdraw_consent"
ACTION_EXPORT_DATA = "action_export_data"
ACTION_CONFIRM_ERASURE = "action_confirm_erasure"
ACTION_ERASE_DATA = "action_erase_data"
ACTION_CANCEL_ERASURE = "action_cancel_erasure"
ACTION_EXPLAIN = "action_explain_decision"
UTTER_UNAVAILABLE = "utter_assistant_unavailable"

CANDOR_KEY = "candor"


@dataclass(frozen=True)
class CandorMeta:
    """What Candor records about a bot message: its kind and, per kind, codes and ids (never
    content: the tracker store keeps these values unmasked)."""

    kind: Optional[str] = None  # disclosure, handoff, consent_request, explanation, ...
    disclosure_version: Optional[str] = None
    rule: Optional[str] = None  # the trigger, backstop or purpose behind the message
    reason: Optional[str] = None
    priority: Optional[str] = None
    ticket_id: Optional[str] = None
    office_hours: Optional[bool] = None
    sender: Optional[str] = None  # "human" for an agent's reply (key `from`)
    agent_id: Optional[str] = None
    # On a customer's message: masked at the door (set there, never taken from the client).
    masked: Optional[bool] = None

    def build(self) -> Dict[str, Any]:
        """`{"candor": {...}}`, with only the fields that are set."""
        values = {("from" if k == "sender" else k): v for k, v in asdict(self).items() if v is not None}
        return {CANDOR_KEY: values}

    @classmethod
    def read(cls, metadata: Optional[Dict[str, Any]]) -> "CandorMeta":
        """The Candor metadata of a bot message, as set directly or through an action."""
        metadata = metadata if isinstance(metadata, dict) else {}
        nested = metadata.get("metadata") if isinstance(metadata.get("metadata"), dict) else {}
        raw = metadata.get(CANDOR_KEY) or nested.get(CANDOR_KEY) or {}
        if not isinstance(raw, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {("sender" if k == "from" else k): v for k, v in raw.items()}
        return cls(**{k: v for k, v in values.items() if k in known})

    @property
    def from_human(self) -> bool:
        return self.sender == "human"


# The keys of CandorMeta as stored: codes and ids, kept unmasked by the tracker store.
CANDOR_METADATA_KEYS = frozenset(("from" if f.name == "sender" else f.name) for f in fields(CandorMeta))

# A placeholder the masking put where a personal value was: "<EMAIL_ADDRESS_1>" (type, number).
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_(\d+)>")
