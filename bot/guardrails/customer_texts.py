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
    order_cancelled: Say
    order_already_cancelled: Say
    order_not_cancellable: Say
    invoice_requested: Say
    clarify_question: Say
    clarify_human: Say
    topic_ask_order_status: Say
    topic_cancel_order: Say
    topic_change_order: Say
    topic_change_address: Say
    topic_ask_invoice: Say
    topic_ask_returns: Say
    topic_ask_refund: Say
    topic_ask_fees: Say
    topic_ask_delivery_times: Say
    topic_ask_payment_methods: Say
    topic_payment_problem: Say
    topic_place_order: Say
    topic_reset_password: Say
    topic_ask_account: Say
    topic_newsletter: Say
    topic_ask_opening_hours: Say
    topic_give_feedback: Say
    topic_request_erasure: Say
    topic_ask_my_data: Say
    topic_request_callback: Say
    ask_order_check: Say
    ask_order_postcode: Say
    order_check_failed: Say
    order_check_locked: Say
    order_not_checked: Say
    order_summary: Say
    expected_delivery: Say
    delivered_on: Say
    track_with: Say
    button_yes: Say
    button_no: Say
    button_erase_everything: Say
    return_received: Say
    refund_paid: Say
    refund_due: Say
    refund_after_cancel: Say
    no_return_yet: Say
    no_refund_before_delivery: Say
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
