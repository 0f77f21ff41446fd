"""Guardrails: policy files (`policies/*.yml`), their loader, and the Rasa policy that enforces them."""
