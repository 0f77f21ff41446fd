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
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

from bot.pii.engine import Finding, engine

logger = logging.getLogger(__name__)

# Two analyses at a time in threads: spaCy and the patterns are CPU-bound; more only queue.
_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="candor-pii")
# Two worker processes: a message that runs into the patterns' time limits does not hold up
# the next customer's.
WORKERS = 2
_pool: Optional[ProcessPoolExecutor] = None
_pool_lock = threading.Lock()


def enabled() -> bool:
    return os.environ.get("CANDOR_ANALYSIS_PROCESS", "on").strip().lower() != "off"


def _start_worker() -> None:
    """In the worker: leave Ctrl-C to the server, and load spaCy and Presidio now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine().analyze("warming up")


def _analyze(text: str) -> List[Finding]:
    """In the worker: the findings of `text`."""
    return engine().analyze(text)


def _process_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_worker)
        return _pool


def start() -> List[Future]:
    """Start the workers now (server start-up), so the first message does not wait for them;
    the futures finish once they are ready."""
    if not enabled():
        return []
    pool = _process_pool()
    return [pool.submit(_analyze, "") for _ in range(WORKERS)]


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def wait_until_ready(timeout: float = 120.0) -> bool:
    """Whether every worker is up with its engine loaded (for tests and health checks):
    `WORKERS` short jobs at once must land on as many different processes."""
    deadline = time.monotonic() + timeout
    wait(start())
    while time.monotonic() < deadline:
        pool = _process_pool()
        if len({job.result() for job in [pool.submit(_pid_after, 0.3) for _ in range(WORKERS)]}) == WORKERS:
            return True
    return False


def _replace_broken(broken: Executor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False)


async def analyze(text: str) -> List[Finding]:
    """The findings of `text`, worked out off the event loop, and kept by this process's engine."""
    loop = asyncio.get_running_loop()
    if enabled():
        pool = _process_pool()
        try:
            found = await loop.run_in_executor(pool, _analyze, text)
        except BrokenProcessPool:
            logger.error("The personal-data analysis process stopped; a new one is started and this "
                         "message is analysed in the server.")
            _replace_broken(pool)
        else:
            engine().remember(text, found)
            return found
    return await loop.run_in_executor(_THREADS, engine().analyze, text)


# --- Understanding (NLU) in a process of its own ------------------------------------------
# The NLU part of the model (the masker, language, DIET, backstops) took about a fifth of the
# Rasa server's time under load. One more worker loads the same model file as the server and
# parses each message at the door; the server uses that parse (bot/speedups.py) when it comes
# from the very model it serves, and parses itself otherwise (no worker, a different model, a
# time-out, a dead worker). `CANDOR_NLU_PROCESS=off` turns it off.
_nlu_pool: Optional[ProcessPoolExecutor] = None
_nlu_model: Optional[str] = None
_agent: Any = None


def nlu_enabled() -> bool:
    return _nlu_model is not None and os.environ.get("CANDOR_NLU_PROCESS", "on").strip().lower() != "off"


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


def _nlu_process_pool() -> ProcessPoolExecutor:
    global _nlu_pool
    with _pool_lock:
        if _nlu_pool is None:
            _nlu_pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_nlu_worker, initargs=(_nlu_model,))
        return _nlu_pool


def start_nlu(model: Optional[str]) -> Optional[Future]:
    """Start the NLU worker with the server's model file (server start-up)."""
    global _nlu_model
    _nlu_model = model
    if not nlu_enabled():
        return None
    return _nlu_process_pool().submit(os.getpid)


async def understand(message: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
    """The NLU worker's (model id, parse) of a UserMessage, or None when there is none to be had."""
    if not nlu_enabled():
        return None
    pool = _nlu_process_pool()
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(pool, _parse, message.text, message.sender_id, message.metadata,
                                          message.message_id, message.input_channel,
                                          engine().recalled(message.text))
    except BrokenProcessPool:
        logger.error("The NLU process stopped; a new one is started and the server parses meanwhile.")
        global _nlu_pool
        with _pool_lock:
            if _nlu_pool is pool:
                _nlu_pool = None
        pool.shutdown(wait=False)
    except Exception as exc:  # noqa: BLE001 - the server parses the message itself
        logger.error("The NLU process could not parse a message (%s); the server does.", type(exc).__name__)
    return None
