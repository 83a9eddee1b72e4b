"""tipbot: one evidence-cited tip a day about magnesium and bone health, on Telegram."""

import os

# Opt in to python-telegram-bot's future behaviour (durations such as RetryAfter.retry_after as
# timedelta). Without it PTB warns on every 429 it parses; our code accepts both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
