"""信访 legal-channel guidance bot: knowledge, triage, channels, practice, storage, CLI."""

__version__ = "0.1.0"
