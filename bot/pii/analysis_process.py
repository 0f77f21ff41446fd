"""The work done on a customer message at the door, in worker processes of the Rasa server:
its personal-data analysis (two workers) and its parse by the NLU model (one worker, below).

spaCy and Presidio are CPU-bound Python: run in a thread of the Rasa server, they hold the
interpreter lock that the server's event loop (NLU, policies, tracker store) needs, and they
leave the machine's other cores idle. Profiled under load (py-spy, `make bench`), the thread
took about a tenth of the server's time. Here two worker processes (started with `spawn`, so
they inherit no TensorFlow state) build the same engine from the same `policies/pii.yml`
and return the findings; the server keeps them (`PiiEngine.remember`), so the NLU step and
the tracker store mask from them without analysing again.

If a worker dies, its pool is replaced and the message is analysed in a thread of the
server instead, as before: nothing goes unanalysed. Workers ignore Ctrl-C; the server
shuts them down when it exits. Set `CANDOR_ANALYSIS_PROCESS=off` to analyse in threads only
(two processes less; see the README for their memory).
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.pii.engine import Finding, engine

logger = logging.getLogger(__name__)


class Workers:
    """A pool of worker processes (spawned: they inherit no TensorFlow state of the server),
    made on first use, switched off by an environment variable, and replaced when one dies."""

    def __init__(self, count: int, switch: str, initializer: Callable[..., None], *initargs: Any) -> None:
        self.count, self.switch = count, switch
        self.initializer, self.initargs = initializer, initargs
        self._pool: Optional[ProcessPoolExecutor] = None
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        return os.environ.get(self.switch, "on").strip().lower() != "off"

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.count, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=self.initializer, initargs=self.initargs)
            return self._pool

    def start(self) -> List[Future]:
        """One job per worker, so each is started now; the futures finish once they ran."""
        if not self.enabled():
            return []
        pool = self.pool()
        return [pool.submit(os.getpid) for _ in range(self.count)]

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in a worker; a dead worker's pool is replaced, and
        BrokenProcessPool raised for the caller to do the work another way."""
        pool = self.pool()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False)
            raise


def _start_worker() -> None:
    """In an analysis worker: leave Ctrl-C to the server, and load spaCy and Presidio now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine().analyze("warming up")


def _analyze(text: str) -> List[Finding]:
    """In an analysis worker: the findings of `text`."""
    return engine().analyze(text)


# Two analysis workers: a message that runs into the patterns' time limits does not hold up
# the next customer's. Without them, two analyses at a time in threads of the server.
ANALYSIS = Workers(2, "CANDOR_ANALYSIS_PROCESS", _start_worker)
_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="candor-pii")


def start() -> List[Future]:
    """Start the analysis workers now (server start-up), so the first message does not wait."""
    return ANALYSIS.start()


async def analyze(text: str) -> List[Finding]:
    """The findings of `text`, worked out off the event loop, and kept by this process's engine."""
    if ANALYSIS.enabled():
        try:
            found = await ANALYSIS.run(_analyze, text)
        except BrokenProcessPool:
            logger.error("The personal-data analysis process stopped; a new one is started and this "
                         "message is analysed in the server.")
        else:
            engine().remember(text, found)
            return found
    return await asyncio.get_running_loop().run_in_executor(_THREADS, engine().analyze, text)


# --- Understanding (NLU) in a process of its own ------------------------------------------
# The NLU part of the model (the masker, language, DIET, backstops) took about a fifth of the
# Rasa server's time under load. One more worker loads the same model file as the server and
# parses each message at the door; the server uses that parse (bot/speedups.py) when it comes
# from the very model it serves, and parses itself otherwise (no worker, a different model, a
# time-out, a dead worker). `CANDOR_NLU_PROCESS=off` turns it off.
_nlu: Optional[Workers] = None
_agent: Any = None


def _start_nlu_worker(model: str) -> None:
    """In the NLU worker: leave Ctrl-C to the server, and load the model."""
    global _agent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from rasa.core.agent import Agent

    _agent = Agent.load(model)


def _parse(text: str, sender_id: Optional[str], metadata: Any, message_id: Optional[str],
           input_channel: Optional[str], findings: Optional[List[Finding]] = None) -> Tuple[str, Dict[str, Any]]:
    """In the NLU worker: the model's id and its parse of the message, as the server's
    NLU graph makes it. `findings`: the door's analysis of `text`, which the masker then
    uses instead of analysing again."""
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    if findings is not None:
        engine().remember(text, findings)

    processor = _agent.processor
    message = UserMessage(text, None, sender_id, metadata=metadata, message_id=message_id,
                          input_channel=input_channel)
    parsed = processor._parse_message_with_graph(message, DialogueStateTracker.from_events(sender_id or "", []))
    return processor.model_metadata.model_id, parsed


def start_nlu(model: Optional[str]) -> Optional[Future]:
    """Start the NLU worker with the server's model file (server start-up)."""
    global _nlu
    _nlu = Workers(1, "CANDOR_NLU_PROCESS", _start_nlu_worker, model) if model else None
    started = _nlu.start() if _nlu is not None else []
    return started[0] if started else None


async def understand(message: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
    """The NLU worker's (model id, parse) of a UserMessage, or None when there is none to be had."""
    if _nlu is None or not _nlu.enabled():
        return None
    try:
        return await _nlu.run(_parse, message.text, message.sender_id, message.metadata, message.message_id,
                              message.input_channel, engine().recalled(message.text))
    except BrokenProcessPool:
        logger.error("The NLU process stopped; a new one is started and the server parses meanwhile.")
    except Exception as exc:  # noqa: BLE001 - the server parses the message itself
        logger.error("The NLU process could not parse a message (%s); the server does.", type(exc).__name__)
    return None
