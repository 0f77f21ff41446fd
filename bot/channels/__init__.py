"""Candor's input channels: the REST channel with human replies, and the agent desk."""
