"""A fake Telegram Bot API server for tests and benchmarks (see `server`)."""

from tests.fakebot.server import CallbackAnswer, FakeBotApi, FakeConfig, SentMessage

__all__ = ["CallbackAnswer", "FakeBotApi", "FakeConfig", "SentMessage"]
