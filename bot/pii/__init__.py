"""The one PII engine (Presidio), built once from `policies/pii.yml`, used at every boundary:
`bot.pii.engine.engine()`. Importing this package loads nothing of Presidio or spaCy (the
action server imports `bot.pii.policy` through the policy loader and never analyses)."""
