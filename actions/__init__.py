"""Custom actions of the Rasa bot (run with ``rasa run actions``)."""
