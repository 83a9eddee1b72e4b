"""tipbot: one evidence-cited tip a day about magnesium and bone health, on Telegram."""

__version__ = "0.1.0"
