"""Commands are recognised by their words, not by the intent model.

``开始练习`` (staff practice mode) must work whatever the intent model makes of it, and must not
be a label the model is trained on: a new label shifts the whole complaint classification (a new
intent cost 1.2 points of the dev set's acceptable accuracy). This component, last in the NLU
pipeline, gives a message that starts with a practice command the intent ``nlu_fallback``, which
the rules send to ``action_triage``; that action recognises the command (``bot.dialogue.
is_practice_command``) and hands over to the practice mode. The words are ``practice.start`` in
knowledge/conversation.yaml, read by bot.commands.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import commands

ROUTE_TO = "nlu_fallback"  # the rules send it to action_triage


def is_command(text: str) -> bool:
    """True when ``text`` starts with a practice command; a broken words file routes nothing."""
    try:
        return commands.is_start(text)
    except (OSError, ValueError):
        return False


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER],
                          is_trainable=False)
class CommandRouter(GraphComponent):
    """Route command messages past the intent model (see the module docstring)."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CommandRouter:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent of command messages; leave every other message as it is."""
        for message in messages:
            if is_command(message.get(TEXT) or ""):
                message.set(INTENT, {INTENT_NAME_KEY: ROUTE_TO, PREDICTED_CONFIDENCE_KEY: 1.0},
                            add_to_output=True)
        return messages
