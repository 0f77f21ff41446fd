"""What every input channel does with a customer's message before anything else runs.

0. Its language (policies/languages.yml) is detected and added to its metadata.
1. The cap: a message longer than `CANDOR_MAX_MESSAGE_CHARS` (default 4,000 characters) is
   answered politely and goes no further (not to the masker, the classifier or the tracker
   store), and client metadata is bounded the same way.
2. The personal-data analysis runs off the event loop, in its own process
   (bot/pii/analysis_process.py), within `CANDOR_MASK_TIME_LIMIT` seconds (default 10).
   With its findings the text (and the client's metadata) is masked right here with the
   conversation's placeholders (`masked_at_the_door`): Rasa never sees the raw text, so
   neither do its trackers in memory, the action server or any store. When the analysis
   or the masking fails or runs out of time, it fails closed: the text is replaced by the
   "withheld" marker (nothing raw goes further) and the NLU step flags it, so a human
   takes over. (A button payload, "/intent{...}", is the assistant's own and goes on as
   sent; the tracker store masks it like everything it stores.)
3. The message is parsed (NLU) by a worker process with the server's own model, when there
   is one; the server uses that parse instead of running its NLU graph (bot/speedups.py).
Every pattern also has its own time limit (bot/pii/recognizers/base.py), so a thread that
ran out of time stops soon after.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from typing import Any, Awaitable, Callable, Optional, Tuple

from sqlalchemy.exc import SQLAlchemyError

from rasa.core.channels.channel import UserMessage

from bot.channels.rate import sender_turns
from bot.config import settings
from bot.constants import CANDOR_KEY, CandorMeta
from bot.guardrails.loader import policies
from bot.guardrails.texts import text_in
from bot.language import detect, hinted, languages
from bot.pii.conversation import WITHHELD, ConversationMasker
from bot.pii import analysis_process
from bot.pii.engine import engine
from bot.storage import stores

logger = logging.getLogger(__name__)

MAX_METADATA_DEPTH = 5
MAX_METADATA_ITEMS = 100


def too_long(text: Any) -> bool:
    return isinstance(text, str) and len(text) > settings().max_message_chars


def metadata_problem(metadata: Any) -> Optional[str]:
    """Why a client's `metadata` is refused, or None: an object, at most five levels deep,
    a hundred entries, and no more text in it than one message may hold (it is masked and
    stored with the conversation)."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return "'metadata' must be a JSON object"
    items, chars, stack = 0, 0, [(metadata, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_METADATA_DEPTH:
            return f"'metadata' is nested more than {MAX_METADATA_DEPTH} levels deep"
        children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        items += len(children)
        chars += sum(len(str(k)) for k in value) if isinstance(value, dict) else 0
        chars += sum(len(c) for c in children if isinstance(c, str))
        if items > MAX_METADATA_ITEMS:
            return f"'metadata' has more than {MAX_METADATA_ITEMS} entries"
        if chars > settings().max_message_chars:
            return f"'metadata' holds more than {settings().max_message_chars:,} characters"
        stack += [(child, depth + 1) for child in children if isinstance(child, (dict, list))]
    return None


async def screened(text: str, sender_id: Optional[str] = None) -> str:
    """`text` once its personal data has been found in time (findings cached in the engine),
    else the withheld marker. An analysis that ran out of time goes on in its worker (a
    process cannot be interrupted): the sender's next message waits for it to end, so one
    sender never holds more than one worker."""
    if not text or not text.strip():
        return text
    analysis = asyncio.ensure_future(analysis_process.analyze(text))
    analysis.add_done_callback(lambda done: done.cancelled() or done.exception())  # never "unretrieved"
    done, _ = await asyncio.wait({analysis}, timeout=settings().mask_time_limit)
    if analysis not in done:
        logger.error("Personal-data analysis took longer than %ss; the message is withheld.",
                     settings().mask_time_limit)
        if sender_id:
            sender_turns().busy_until(sender_id, analysis)
        return WITHHELD
    if analysis.exception() is not None:  # fail closed
        logger.error("Personal-data analysis failed (%s); the message is withheld.",
                     type(analysis.exception()).__name__)
        return WITHHELD
    return text


def masked_at_the_door(sender_id: str, text: str, metadata: Any) -> Tuple[str, Any]:
    """The message and its client metadata with the conversation's placeholders (new values
    numbered and, where pii.yml says `vault`, kept encrypted), from the findings the
    analysis process made; the withheld marker if masking failed. The masked text is
    remembered as checked, so the NLU step and the tracker store do not analyse it again,
    and marked as masked in its metadata (`candor.masked`; the door drops whatever a client
    sent under that key), so the action server does not either."""
    masker = ConversationMasker(sender_id)
    masked = masker.mask_text(text).text
    if metadata:
        metadata = masker.mask_client_data(metadata)
    if masker.failed:
        return WITHHELD, None
    engine().remember(masked, [])
    forget_pending_values()
    return masked, {**(metadata if isinstance(metadata, dict) else {}), **CandorMeta(masked=True).build()}


SWEEP_EVERY_SECONDS = 60
_last_sweep = [float("-inf")]
_sweep_lock = threading.Lock()


def forget_pending_values() -> None:
    """At most once a minute per server, as customers write: the vault values no purpose the
    customer consented to asked for within retention.yml's `vault_pending` minutes are
    destroyed (`python -m bot retention run` does the same for a quiet server)."""
    now = time.monotonic()
    with _sweep_lock:
        if now - _last_sweep[0] < SWEEP_EVERY_SECONDS:
            return
        _last_sweep[0] = now
    minutes = policies().retention.vault_pending.minutes
    try:
        stores().vault.forget_unconsented(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes))
    except SQLAlchemyError as exc:  # the next sweep tries again; the turn goes on
        logger.warning("Destroying vault values no consent asked for failed (%s); tried again in a minute.",
                       type(exc).__name__)


async def understood(message: UserMessage) -> Any:
    """The NLU worker's parse of `message` (bot/pii/analysis_process.py), or None: the Rasa
    server then parses it itself, as it would without the worker."""
    try:
        return await asyncio.wait_for(analysis_process.understand(message), settings().mask_time_limit)
    except asyncio.TimeoutError:
        logger.warning("The NLU process took longer than %ss; the server parses the message.",
                       settings().mask_time_limit)
        return None


def at_the_door(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message` that answers an over-long message itself, analyses the rest off the
    event loop and passes it on (withheld when the analysis failed)."""

    async def handle(message: UserMessage) -> None:
        """Raises `Busy` when the sender has too many messages waiting already."""
        async with sender_turns().turn(message.sender_id or ""):
            return await through(message)

    async def through(message: UserMessage) -> None:
        if too_long(message.text):
            language = detect(message.text[:1000]) or hinted(message.metadata) or languages().default
            text = text_in(policies().messages["too_long"], language).format(
                length=len(message.text), limit=settings().max_message_chars)
            await message.output_channel.send_text_message(message.sender_id, text)
            return None
        if isinstance(message.metadata, dict) and CANDOR_KEY in message.metadata:
            # Candor's own marks are set here and by the actions, never taken from a client.
            message.metadata = {k: v for k, v in message.metadata.items() if k != CANDOR_KEY}
        if isinstance(message.text, str):
            message.text = await screened(message.text, message.sender_id)
            if message.text != WITHHELD and not message.text.startswith("/"):
                # Masked here, with the conversation's placeholders: the Rasa server, its
                # trackers, the action server and every store see placeholders only.
                message.text, message.metadata = await asyncio.get_running_loop().run_in_executor(
                    None, masked_at_the_door, message.sender_id or "", message.text, message.metadata)
            # The language travels with the message (the session start reads it there),
            # judged on the masked text: names and places say nothing about it.
            if message.text != WITHHELD and not message.text.startswith("/"):
                language = detect(message.text)
                if language:
                    message.metadata = {**(message.metadata if isinstance(message.metadata, dict) else {}),
                                        "language": language}
            # Every message is parsed by the worker, the withheld marker and button payloads
            # too: the server holds no NLU part of its own unless the worker fails.
            message.candor_parse = await understood(message)  # type: ignore[attr-defined]
        return await on_new_message(message)

    return handle
