"""Finding English left in a reply meant for a Spanish, German or Russian reader.

A short list of common English words that no Spanish, German or Russian sentence uses (so "in",
"no", "die", "was", "will", "man", "Start" or "Zone" are not on it), looked for in the text once
links (source titles), `<code>` (commands and examples as typed), command names and the bank's own
English text are taken out. Used by tests/bot/test_every_reply_translated.py, which shows it
fails on an untranslated string, and by the console's test.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator

from pydantic import BaseModel

from tipbot.bot import keyboards
from tipbot.content.models import Bank

#: Common English words that are not words of Spanish, German or Russian. Not "yes" or
#: "none": they are typed keywords of `/profile set` and its usage shows them in every language.
_ENGLISH = """
    the and your you with what which when where this that these those is are were not for
    of to from send tap tip tips daily please here about more time change cancel delete
    every only there been have be by at it on or if my how who can should would than
    then any don't won't can't i'm you'll you're let's we our they them its into after before
    again back next today tomorrow stop choose pick type subscribed unsubscribed paused
    active blocked sorry something went wrong try answer answers question questions
"""
ENGLISH_WORDS = frozenset(_ENGLISH.split())
#: A word in any alphabet ("Höhere" is one word, not "H" and "here").
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
#: Names of things on English-language labels, quoted as such in every language.
LABEL_TERMS = ("Daily Value",)


def _strings(value: object) -> Iterator[str]:
    """Every text field of a bank model, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def bank_texts(bank: Bank) -> list[str]:
    """The bank's English text, longest first (so a long text goes before a part of it), also
    as a button shortens it (`keyboards._short`)."""
    texts = {s.strip() for s in _strings(bank) if len(s.strip()) >= 3}
    texts |= {keyboards._short(s) for s in texts}
    return sorted(texts, key=len, reverse=True)


def english_left(html_text: str, exempt: Iterable[str] = ()) -> list[str]:
    """The English words left in a message as the user reads it (see the module docstring for
    what is removed first). `exempt`: texts allowed to stay English (the bank's)."""
    text = re.sub(r"<a\s[^>]*>.*?</a>", " ", html_text, flags=re.S)
    text = re.sub(r"<code>.*?</code>", " ", text, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    for allowed in exempt:
        text = text.replace(allowed, " ")
    text = re.sub(r"/\w+(@\w+)?", " ", text)
    return [w for w in _WORD.findall(text) if w.casefold().replace("’", "'") in ENGLISH_WORDS]


#: The US and EU labels' short names as the English tables print them after a figure: "(RDA)",
#: "(AI)" ending an intake row, "37% DV" / "42% NRV" after a food. A translated note may still
#: name the English term once to explain it ("Рекомендуемая норма (RDA) США..."), as it is
#: printed on labels, but a table row in Spanish, German or Russian must not use it as its label.
_ENGLISH_LABELS = re.compile(
    r"\((?:RDA|AI|UL)\)$|\d+\s?%\s?(?:DV|NRV)\b|\bper serving\b", re.MULTILINE
)
#: A decimal point between digits: English notation ("60.3%"), where es/de/ru write "60,3".
_DECIMAL_POINT = re.compile(r"\d\.\d")


def _reader_text(html_text: str) -> str:
    """The message as read, without links (source titles keep their own notation)."""
    text = re.sub(r"<a\s[^>]*>.*?</a>", " ", html_text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def english_labels(html_text: str) -> list[str]:
    """The English table labels left in a message ("(RDA)", "37% DV", "42% NRV")."""
    return _ENGLISH_LABELS.findall(_reader_text(html_text))


def english_decimals(html_text: str) -> list[str]:
    """Figures written with an English decimal point ("60.3"), outside links."""
    return _DECIMAL_POINT.findall(_reader_text(html_text))
