"""The one PII engine (Presidio), built once from `policies/pii.yml`, used at every boundary."""
from bot.pii.engine import Finding, PiiEngine, Placeholders, engine

__all__ = ["Finding", "PiiEngine", "Placeholders", "engine"]
