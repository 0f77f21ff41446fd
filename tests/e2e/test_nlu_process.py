"""The NLU worker (bot/pii/analysis_process.py) parses exactly as the server's own NLU graph
does, and the server uses its parse only when it comes from the model it serves."""
from __future__ import annotations

import asyncio
import copy

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from bot import speedups
from bot.pii import analysis_process
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.e2e
MODEL = PROJECT_ROOT / "models" / "candor.tar.gz"
MESSAGES = [
    ("where is my order?", None),
    ("waar blijft mijn bestelling? ik ben Pietje Puk, pietje.puk@example.org", None),
    ("hi", {"customData": {"language": "nl"}}),
    ("blorp Jan de Vries", None),
    ("are you a bot?", {"language": "en"}),
    ("CND-123456", None),
]


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.is_file():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    return Agent.load(str(MODEL))


def test_the_worker_parses_as_the_server_does_and_the_server_uses_it(agent: Agent) -> None:
    speedups.install()
    own_parse = speedups._RASA_PARSE  # Rasa's own, not the patched one
    assert analysis_process.start_nlu(str(MODEL)).result(timeout=300)

    async def both(text, metadata):
        message = UserMessage(text, None, "customer-nlu", metadata=metadata, input_channel="rest")
        worker = await analysis_process.understand(message)
        tracker = DialogueStateTracker.from_events("customer-nlu", [])
        return message, worker, own_parse(agent.processor, message, tracker)

    for text, metadata in MESSAGES:
        message, worker, here = asyncio.run(both(text, metadata))
        assert worker is not None, text
        model_id, parsed = worker
        assert model_id == agent.processor.model_metadata.model_id
        assert parsed == here, text
        # The server takes the worker's parse instead of running its graph ...
        message.candor_parse = (model_id, {**copy.deepcopy(parsed), "intent": {"name": "from_worker"}})
        used = MessageProcessor._parse_message_with_graph(agent.processor, message, None)
        assert used["intent"] == {"name": "from_worker"}
        # ... but not one made by another model.
        message.candor_parse = ("another-model", {"intent": {"name": "stale"}})
        ignored = MessageProcessor._parse_message_with_graph(
            agent.processor, message, DialogueStateTracker.from_events("customer-nlu", []))
        assert ignored == here
    # The masker runs in the worker too: the parse holds placeholders, not the name or address.
    _, parsed = asyncio.run(analysis_process.understand(UserMessage(MESSAGES[1][0], None, "customer-nlu")))
    assert "Pietje" not in parsed["text"] and "pietje.puk@example.org" not in parsed["text"]
    assert "<PERSON_1>" in parsed["text"]


def test_the_server_loads_only_the_dialogue_part_and_parses_itself_only_when_the_worker_cannot(agent, monkeypatch) -> None:
    """With the NLU worker, `python -m bot rasa-run` loads the model without its NLU part
    (bot/speedups.py: no part of the model in memory twice). It predicts as the whole model
    does; a message the worker did not parse is parsed by the NLU part, loaded then, once."""
    from rasa.engine import loader

    speedups.install()
    monkeypatch.setattr(loader, "load_predict_graph_runner", speedups._load_dialogue_part)
    server = Agent.load(str(MODEL))
    nodes = set(server.processor.graph_runner._graph_schema.nodes)
    assert any("TEDPolicy" in n for n in nodes) and not any("DIETClassifier" in n or "PiiMasker" in n for n in nodes)
    assert server.processor.model_metadata.model_id == agent.processor.model_metadata.model_id
    tracker = DialogueStateTracker.from_events("customer-dialogue", [])
    for text, metadata in MESSAGES[:3]:
        message = UserMessage(text, None, "customer-dialogue", metadata=metadata, input_channel="rest")
        here = speedups._RASA_PARSE(agent.processor, message, DialogueStateTracker.from_events("customer-dialogue", []))
        assert MessageProcessor._parse_message_with_graph(server.processor, message, tracker) == here, text
    assert len(speedups._NLU_PARTS) == 1  # loaded once
    predicted = server.processor._predict_next_with_tracker(tracker)
    assert predicted.max_confidence_index == agent.processor._predict_next_with_tracker(tracker).max_confidence_index
    assert predicted.policy_name and predicted.max_confidence > 0
