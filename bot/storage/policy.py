"""`policies/consent.yml` and `policies/retention.yml` as typed models: the purposes personal
data may be used for (each with its notice, version, legal basis and retention) and how long
everything else is kept."""
from typing import Any, Dict, Tuple

from pydantic import conint, root_validator, validator

from bot.guardrails.model import Code, EntityName, Identifier, NonEmpty, PolicyModel, Say, Texts, named_entries

# Purposes the code asks consent for by name.
REQUIRED_PURPOSES = ("order_lookup_by_email", "delivery_address_change", "phone_callback", "improve_assistant")


class LegalBasis(Code):
    consent = "consent"
    contract = "contract"
    legitimate_interest = "legitimate_interest"



class Purpose(PolicyModel):
    """One purpose personal data may be used for, with its notice and version."""

    name: Identifier
    title: Say  # the purpose in a few words, as the customer reads it ("order lookup by e-mail")
    version: NonEmpty
    legal_basis: LegalBasis
    data_types: Tuple[EntityName, ...]
    retention_days: conint(strict=True, ge=1)
    notice: Say
    refused: Say
    refusal_trigger: Identifier = None  # type: ignore[assignment]

    @validator("version", pre=True)
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) else value


class ConsentTexts(Texts):
    granted: Say
    withdrawn: Say
    nothing_to_withdraw: Say
    export_summary: Say
    erase_confirm: Say
    erased: Say
    erase_cancelled: Say
    erase_limited: Say
    lookup_done: Say
    ask_new_address: Say
    not_an_address: Say
    new_address_saved: Say
    ask_callback_phone: Say
    not_a_phone: Say


class ConsentPolicy(PolicyModel):
    """`policies/consent.yml`."""

    rules = {"purposes": None}

    purposes: Dict[Identifier, Purpose]
    texts: ConsentTexts

    @root_validator(pre=True)
    def _named(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        return named_entries(values, "purposes", "name")

    @validator("purposes")
    def _required(cls, value: Dict[str, Purpose]) -> Dict[str, Purpose]:
        if not value:
            raise ValueError("define at least one purpose")
        missing = [name for name in REQUIRED_PURPOSES if name not in value]
        if missing:
            raise ValueError(f"the code asks consent for the purpose '{missing[0]}': keep it")
        return value


class Conversations(PolicyModel):
    default_days: conint(strict=True, ge=1)
    improve_assistant_consented_days: conint(strict=True, ge=1)


class HandoffTickets(PolicyModel):
    finished_days: conint(strict=True, ge=1)


class Days(PolicyModel):
    days: conint(strict=True, ge=1)


class Minutes(PolicyModel):
    minutes: conint(strict=True, ge=1, le=1440)


class RetentionPolicy(PolicyModel):
    """`policies/retention.yml`: periods in days, counted from the last activity."""

    conversations: Conversations
    handoff_tickets: HandoffTickets
    consent_records: Days
    preferences: Days
    logs: Days
    # A value the vault took on sight, for no purpose the customer consented to (yet).
    vault_pending: Minutes = Minutes(minutes=15)
