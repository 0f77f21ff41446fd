"""rasa_sdk custom actions, one module per concern (the executor imports every submodule)."""
