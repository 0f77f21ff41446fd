"""Social-media handles: "@kim_devries", "insta: kim.devries", "my tiktok is kimdv88"."""
from __future__ import annotations

from presidio_analyzer import Pattern

from bot.pii.recognizers.base import CandorPatternRecognizer

NETWORK = r"instagram|insta|ig|twitter|tiktok|snapchat|snap|facebook|fb|linkedin|threads|mastodon|bluesky|discord|telegram|youtube|twitch|reddit|pinterest"


class SocialHandleRecognizer(CandorPatternRecognizer):
    """An @handle (not an e-mail), or a handle right after a network's name."""

    ENTITY = "SOCIAL_HANDLE"
    PATTERNS = [
        Pattern("at-handle", r"(?<![\w@.+-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![\w@-]|\.\w)", 0.7),
        Pattern(
            "after a network",
            rf"(?<=\b(?:{NETWORK})\b(?:[ \t]+(?:handle|account|name|naam|username|gebruikersnaam))?[ \t]*(?:(?:is|:|=|-)[ \t]*)?)"
            r"@?(?=[A-Za-z0-9_.]*[0-9_.])[A-Za-z0-9_.]{3,30}\b",
            0.6,
        ),
    ]
    CONTEXT = ["instagram", "twitter", "tiktok", "handle"]
