"""The work done on a customer message at the door, in worker processes of the Rasa server:
its personal-data analysis and its parse by the NLU model.

spaCy and Presidio are CPU-bound Python: run in a thread of the Rasa server, they hold the
interpreter lock that the server's event loop (policies, tracker store) needs, and they
leave the machine's other cores idle. Profiled under load (py-spy, `make bench`), the thread
took about a tenth of the server's time, and the NLU graph about a fifth.

With a model (`make run`), one worker process (started with `spawn`, so it inherits no
TensorFlow state) does both: it builds the same engine from the same `policies/pii.yml` and
loads only the NLU part of the server's model file (the server loads only the dialogue
part: bot/speedups.py), so no part of the model is held twice. Without the NLU worker
(`CANDOR_NLU_PROCESS=off`), two analysis workers hold the engine only, and the server loads
and runs the whole model itself. The server keeps the findings (`PiiEngine.remember`), so
masking at the door and the tracker store do not analyse again.

If a worker dies, its pool is replaced and the message is analysed in a thread of the
server instead (and parsed by the server, which then loads the NLU part once): nothing goes
unanalysed or unanswered. Workers ignore Ctrl-C; the server shuts them down when it exits.
Set `CANDOR_ANALYSIS_PROCESS=off` to analyse in threads of the server only.
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
        self.in_flight = 0  # jobs sent and not yet back (on the server's event loop)

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
        self.in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False)
            raise
        finally:
            self.in_flight -= 1

    @property
    def load(self) -> float:
        return self.in_flight / self.count


def _start_worker() -> None:
    """In an analysis worker: leave Ctrl-C to the server, and load spaCy and Presidio now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine().analyze("warming up")


def _analyze(text: str) -> List[Finding]:
    """In a worker: the findings of `text`."""
    return engine().analyze(text)


# Two lanes for the analysis: a message that runs into the patterns' time limits does not
# hold up the next customer's. With the NLU worker (which holds the engine too), one
# analysis worker and the NLU worker; without it, two analysis workers; without any, two
# analyses at a time in threads of the server.
ANALYSIS = Workers(2, "CANDOR_ANALYSIS_PROCESS", _start_worker)
_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="candor-pii")


def _analysis_workers() -> Optional[Workers]:
    """The pool that analyses this message: the analysis workers, or the NLU worker when it
    has less to do (say, while a hostile message holds the analysis worker)."""
    if not ANALYSIS.enabled():
        return None
    lanes = [ANALYSIS, _nlu] if parses_at_the_door() else [ANALYSIS]
    return min(lanes, key=lambda lane: lane.load)  # ties: the analysis worker


def start(model: Optional[str] = None) -> List[Future]:
    """Start the workers now (server start-up), so the first message does not wait: with
    `model`, the NLU worker (it analyses too) and one analysis worker; else two analysis
    workers."""
    started = []
    if model is not None:
        nlu = start_nlu(model)
        if nlu is not None:
            ANALYSIS.count = 1
            started.append(nlu)
    return started + ANALYSIS.start()


async def analyze(text: str) -> List[Finding]:
    """The findings of `text`, worked out off the event loop, and kept by this process's engine."""
    workers = _analysis_workers()
    if workers is not None:
        try:
            found = await workers.run(_analyze, text)
        except BrokenProcessPool:
            logger.error("The personal-data analysis process stopped; a new one is started and this "
                         "message is analysed in the server.")
        else:
            engine().remember(text, found)
            return found
    return await asyncio.get_running_loop().run_in_executor(_THREADS, engine().analyze, text)


# --- Understanding (NLU) in a process of its own ------------------------------------------
# The NLU part of the model (the masker, language, DIET, backstops) took about a fifth of the
# Rasa server's time under load. The worker loads the NLU part of the server's model file and
# parses each message at the door; the server uses that parse (bot/speedups.py) when it comes
# from the very model it serves, and parses itself otherwise (no worker, a different model, a
# time-out, a dead worker). `CANDOR_NLU_PROCESS=off` turns it off.
_nlu: Optional[Workers] = None
_parser: Any = None


def nlu_runner(model: str) -> Tuple[Any, Any]:
    """(model metadata, graph runner) of the NLU part of `model` only: the parse's own
    components, without the dialogue policies (TED) a parse never runs."""
    import tempfile
    from pathlib import Path

    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    from bot.speedups import part_runner

    with tempfile.TemporaryDirectory(prefix="candor-nlu-") as unpacked:
        storage, metadata = LocalModelStorage.from_model_archive(
            storage_path=Path(unpacked), model_archive_path=Path(model))
        if not metadata.nlu_target:
            raise ValueError(f"{model} has no NLU part")
        return metadata, part_runner(metadata, storage, DaskGraphRunner, metadata.nlu_target)


class Parser:
    """What Rasa's `MessageProcessor._parse_message_with_graph` reads of a processor: the
    model's metadata and a runner that holds (at least) its NLU part."""

    def __init__(self, metadata: Any, graph_runner: Any) -> None:
        self.model_metadata, self.graph_runner = metadata, graph_runner

    def parse(self, message: Any, tracker: Any, only_output_properties: bool = True) -> Dict[str, Any]:
        from rasa.core.processor import MessageProcessor

        from bot import speedups

        rasa_parse = speedups._RASA_PARSE or MessageProcessor._parse_message_with_graph
        return rasa_parse(self, message, tracker, only_output_properties)


def _start_nlu_worker(model: str) -> None:
    """In the NLU worker: leave Ctrl-C to the server, load the model's NLU part and the
    personal-data engine (the worker analyses too)."""
    global _parser
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _parser = Parser(*nlu_runner(model))
    engine().analyze("warming up")


def _parse(text: str, sender_id: Optional[str], metadata: Any, message_id: Optional[str],
           input_channel: Optional[str], findings: Optional[List[Finding]] = None) -> Tuple[str, Dict[str, Any]]:
    """In the NLU worker: the model's id and its parse of the message, as the server's
    NLU graph makes it. `findings`: the door's analysis of `text`, which the masker then
    uses instead of analysing again."""
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    if findings is not None:
        engine().remember(text, findings)

    message = UserMessage(text, None, sender_id, metadata=metadata, message_id=message_id,
                          input_channel=input_channel)
    parsed = _parser.parse(message, DialogueStateTracker.from_events(sender_id or "", []))
    return _parser.model_metadata.model_id, parsed


def parses_at_the_door() -> bool:
    """Whether this server has an NLU worker (started, and not switched off)."""
    return _nlu is not None and _nlu.enabled()


def start_nlu(model: Optional[str]) -> Optional[Future]:
    """Start the NLU worker with the server's model file (server start-up)."""
    global _nlu
    _nlu = Workers(1, "CANDOR_NLU_PROCESS", _start_nlu_worker, model) if model else None
    started = _nlu.start() if _nlu is not None else []
    return started[0] if started else None


async def understand(message: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
    """The NLU worker's (model id, parse) of a UserMessage, or None when there is none to be had."""
    if not parses_at_the_door():
        return None
    try:
        return await _nlu.run(_parse, message.text, message.sender_id, message.metadata, message.message_id,
                              message.input_channel, engine().recalled(message.text))
    except BrokenProcessPool:
        logger.error("The NLU process stopped; a new one is started and the server parses meanwhile.")
    except Exception as exc:  # noqa: BLE001 - the server parses the message itself
        logger.error("The NLU process could not parse a message (%s); the server does.", type(exc).__name__)
    return None
