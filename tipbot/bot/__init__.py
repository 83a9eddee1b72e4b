"""The Telegram side: the Application, its handlers and keyboards."""
