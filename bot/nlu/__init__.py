"""Custom Rasa NLU components of the project (referenced by name in config.yml)."""
