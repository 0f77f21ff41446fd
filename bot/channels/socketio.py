"""Rasa's socket.io channel (same events, path and settings), with the message cap."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput

from bot.channels.limits import capped


class CandorSocketIOInput(SocketIOInput):
    """Registered under Rasa's own name, `socketio`, so web chats connect as before."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> SocketBlueprint:
        return super().blueprint(capped(on_new_message))
