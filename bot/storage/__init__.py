"""Candor's own tables (orders, preferences, handoff tickets) in the same SQL database as Rasa's tracker store."""
