"""Candor: the shared package loaded by the Rasa server and the action server."""
