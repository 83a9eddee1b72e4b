"""The bot's fixed strings in the user's language, through gettext catalogues managed with Babel.

The English sentences stay the message ids (in `tipbot.messages`, and marked with `N_` or
`t.gettext` where they are built), so a reviewer still reads every English word in one place and a
missing translation shows the English for that message alone. Catalogues live in
`tipbot/locales/<lang>/LC_MESSAGES/tipbot.po` and ship compiled (`.mo`) in the wheel.

Telegram sends each user's `language_code` (an IETF tag such as `de`, `es-MX`, `pt-br`);
`language_for` maps it to one of the languages the bot speaks, English for anything else.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import NamedTuple, Self

from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal
from babel.support import Translations

#: English first: it is the source language and the fallback.
LANGUAGES: tuple[str, ...] = ("en", "es", "de", "ru")
DEFAULT = "en"
#: Each language named in itself, for the /language buttons (never translated).
NATIVE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "de": "Deutsch",
    "ru": "Русский",
}
DOMAIN = "tipbot"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"

#: Messages shown in English because a catalogue lacked them, by language (for /stats).
FALLBACKS: Counter[str] = Counter()


class Plural(NamedTuple):
    """A message with a count: English singular and plural; each language has its own forms."""

    singular: str
    plural: str


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (it is translated where used)."""
    return message


class Reason(ValueError):
    """Why typed input cannot be used, said to the person: an English template (marked `N_` where
    it is raised, so it is extracted) and its values, translated where it is shown
    (`Translator.reason`). `str()` is the English, so logs and English replies read as before."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values

    @classmethod
    def of(cls, error: BaseException) -> Self:
        """`error` as this kind of Reason, keeping its template so it is still translated."""
        if isinstance(error, Reason):
            return cls(error.template, **error.values)
        return cls(str(error).replace("{", "{{").replace("}", "}}"))


def language_for(language_code: str | None) -> str:
    """`es`, `es-MX`, `de_AT`, `RU` -> the bot's language; unknown or missing -> English."""
    if not language_code:
        return DEFAULT
    primary = language_code.replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT


class _CountMissing(NullTranslations):
    """The last fallback of a language's catalogue: reached only for a message the catalogue
    does not have, so it counts exactly those (a translation that happens to equal the English,
    such as "EU" or "Vegan", is not a fallback)."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def gettext(self, message: str) -> str:
        if message.strip():
            FALLBACKS[self.language] += 1
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        FALLBACKS[self.language] += 1
        return msgid1 if n == 1 else msgid2


@cache
def _catalogue(language: str) -> NullTranslations:
    if language == DEFAULT:
        return NullTranslations()
    loaded = Translations.load(str(LOCALE_DIR), [language], DOMAIN)
    loaded.add_fallback(_CountMissing(language))
    return loaded


class Translator:
    """One language's strings, dates and times; cheap to make (catalogues are loaded once)."""

    def __init__(self, language: str = DEFAULT) -> None:
        self.language = language if language in LANGUAGES else DEFAULT
        self._catalogue = _catalogue(self.language)

    def gettext(self, message: str) -> str:
        """The message in this language; a message missing from the catalogue comes back in
        English and is counted in `FALLBACKS`. (The empty message id is the catalogue's
        header, never a text to show.)"""
        return self._catalogue.gettext(message) if message else message

    def ngettext(self, message: Plural, n: int) -> str:
        return self._catalogue.ngettext(message.singular, message.plural, n)

    def reason(self, error: BaseException) -> str:
        """An input error's message in this language (a plain exception: its text, looked up)."""
        if isinstance(error, Reason):
            values = {
                name: self.reason(value) if isinstance(value, Reason) else value
                for name, value in error.values.items()
            }
            return self.gettext(error.template).format(**values)
        return self.gettext(str(error))

    def format_number(self, value: float) -> str:
        """A figure as the language writes it ("60.3" in English, "60,3" in Spanish, German and
        Russian), with exactly the digits the bank holds: no rounding, no thousands separator
        (so the number a translation check looks for is the number shown)."""
        exact = Decimal(str(value)).normalize()
        if exact == exact.to_integral_value():
            exact = exact.quantize(Decimal(1))  # 1E+2 -> 100
        return str(
            format_decimal(
                exact, locale=self.language, decimal_quantization=False, group_separator=False
            )
        )

    def format_date(self, day: date) -> str:
        """A short date in the language's own order ("Tue, Jun 2", "Di., 2. Juni")."""
        return str(format_skeleton("MMMEd", day, locale=self.language))

    def format_time(self, moment: datetime, zone: tzinfo | None = None) -> str:
        """A clock time as the language writes it ("7:30 AM" in English, "07:30" elsewhere)."""
        return str(format_time(moment, "short", tzinfo=zone, locale=self.language))

    def format_datetime(self, moment: datetime, zone: tzinfo | None = None) -> str:
        local = moment.astimezone(zone) if zone is not None else moment
        return f"{self.format_date(local)}, {self.format_time(local)}"

    def format_long_date(self, day: date) -> str:
        return str(format_date(day, "long", locale=self.language))


ENGLISH = Translator(DEFAULT)


def translator(language_code: str | None) -> Translator:
    return Translator(language_for(language_code))
