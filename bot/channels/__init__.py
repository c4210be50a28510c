"""Front doors of the bot: Rasa custom input channels (web chat page, WeChat, WeCom)."""
