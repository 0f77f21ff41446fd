"""The policy files that are only texts a customer reads: `disclosure.yml` (who we are, how to
reach a human, what we do with data), `opt_out.yml` (opting out of the AI and back in) and
`messages.yml` (what the order actions and the channels say). Each field is a text in every
supported language."""
from typing import Any

from pydantic import validator

from bot.guardrails.model import NonEmpty, Say, Texts


class Disclosure(Texts):
    """`policies/disclosure.yml`; `version` is recorded with every disclosure shown."""

    version: NonEmpty
    disclosure: Say
    human_contact: Say
    data_use: Say
    is_bot_answer: Say
    capabilities: Say
    limitations: Say

    @validator("version", pre=True)
    def _version_as_text(cls, value: Any) -> Any:
        return str(value).strip() if isinstance(value, (str, int, float)) else value


class OptOut(Texts):
    """`policies/opt_out.yml`."""

    confirmed: Say
    returning: Say
    opted_in: Say
    not_opted_out: Say


class Messages(Texts):
    """`policies/messages.yml`: the order actions' and the channels' texts."""

    ask_order_number: Say
    order_number_format: Say
    order_one_fact: Say
    address_not_changeable: Say
    address_changeable: Say
    ask_order_check: Say
    ask_order_postcode: Say
    order_check_failed: Say
    order_check_locked: Say
    order_not_checked: Say
    order_summary: Say
    expected_delivery: Say
    delivered_on: Say
    track_with: Say
    status_processing: Say
    status_packed: Say
    status_shipped: Say
    status_delivered: Say
    status_cancelled: Say
    too_long: Say
    sign_in: Say
    slow_down: Say
    other_customer: Say
    try_again: Say
    unreadable: Say
    still_with_a_colleague: Say
    human_label: Say
    handed_back: Say
    closed: Say
