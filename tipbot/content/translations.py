"""The tip bank in other languages: loading `tips/locales/<lang>/*.yaml` and checking it is safe.

A translation is data beside the English, keyed by the same ids and holding only the translated
text: the tips (`tips.yaml`) and the tables (`foods.yaml`, `forms.yaml`, `interactions.yaml`,
`intakes.yaml`, `quiz.yaml`, `doses.yaml`; which fields are text is in `table_texts`); ids,
numbers, sources and evidence levels stay in the English bank. Each entry records
`english_hash` of the English it was translated from, so an entry whose English changed since
("stale") is never shown: the English is sent instead, for that tip alone, and nothing is ever
sent half-translated.

In a health bot a translation that turns "2 hours" into "2 minutes" or drops a "not" is a safety
bug, so `check` compares each translation with its English: the numbers with their units, the
negations and hedges, placeholders, HTML tags and URLs, and the lengths. A failed check stops
`tipbot validate` and the bot's start, like a broken English bank. A missing or stale entry is only
a warning, since the English stands in for it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tipbot.content import table_texts
from tipbot.content.loader import BankError, LoadedBank, Problem, _display, _parse
from tipbot.content.models import (
    QUIZ_EXPLANATION_MAX,
    QUIZ_OPTION_MAX,
    QUIZ_QUESTION_MAX,
    TIP_MAX_CHARS,
    Bank,
    DoseKind,
    DoseRule,
    Tip,
)
from tipbot.content.table_texts import TABLE_KINDS, Unit
from tipbot.telegram_html import utf16_length

if TYPE_CHECKING:
    import yaml  # imported where a locale file is read: see content/loader.py

#: Languages a translation may be written for; English is the bank itself.
LANGUAGES: tuple[str, ...] = ("es", "de", "ru")
#: The longest translated tip text: translations run longer than English (TIP_MAX_CHARS).
TRANSLATED_TIP_MAX_CHARS = 750
#: A translated table text may be at most this many times as long as its English (plus 20).
TABLE_LENGTH_FACTOR = 1.6
#: Kinds a locale file may hold (one file per kind, named after it: `foods.yaml`...).
KINDS = frozenset({"tips", *TABLE_KINDS})
TIP_FIELDS = ("id", "from", "title", "text")


def english_hash(*fields: str) -> str:
    """The short hash a translated entry records of the English it was translated from."""
    return hashlib.sha256("\n".join(fields).encode("utf-8")).hexdigest()[:8]


def tip_hash(tip: Tip) -> str:
    return english_hash(tip.title, tip.text)


@dataclass(frozen=True)
class TipEntry:
    """One translated tip as written in its file, with where it was written."""

    id: str
    source_hash: str
    title: str
    text: str
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def problem(self, message: str, field_name: str | None = None) -> Problem:
        return Problem(self.file, self.lines.get(field_name or "", self.line), message)


@dataclass(frozen=True)
class TableEntry:
    """One translated table entry (a food, a form, a quiz question...) as written in its file.

    `fields` is flattened as `table_texts.units` flattens the English: `options.0`,
    `missed.weekly`; `lines` gives each field's line for FILE:LINE.
    """

    kind: str
    id: str
    source_hash: str
    fields: dict[str, str]
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def problem(self, message: str, field_name: str | None = None) -> Problem:
        return Problem(self.file, self.lines.get(field_name or "", self.line), message)


def unit_hash(unit: Unit) -> str:
    """The hash of a table entry's English: every text field, in the bank's order."""
    return english_hash(*(f"{name}={text}" for name, text in unit.fields.items()))


def is_current(entry: TableEntry | None, unit: Unit) -> bool:
    """A translation that may be shown: same English hash and exactly the English's fields."""
    return (
        entry is not None
        and entry.source_hash == unit_hash(unit)
        and entry.fields.keys() == unit.fields.keys()
    )


@dataclass(frozen=True)
class TipText:
    title: str
    text: str


@dataclass
class Translations:
    """Every translated entry by language and id, and the English they must match."""

    bank: Bank
    tips: dict[str, dict[str, TipEntry]] = field(default_factory=dict)
    #: Translated table entries by language, kind and id.
    tables: dict[str, dict[str, dict[str, TableEntry]]] = field(default_factory=dict)
    #: Where each language's files are, for "missing" warnings that have no entry to point at.
    files: dict[str, list[str]] = field(default_factory=dict)
    #: Items sent in English because their translation was missing or stale, by language
    #: (for /stats: a gap translators should fill).
    fallbacks: Counter[str] = field(default_factory=Counter)

    #: The bank with each language's current table text, built on first use (`bank_for`).
    _banks: dict[str, tuple[Bank, int]] = field(default_factory=dict, repr=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if lang in self.tips or lang in self.tables)

    def current_tables(self, lang: str) -> dict[str, dict[str, dict[str, str]]]:
        """Every current table translation of `lang` (kind -> id -> fields); stale, missing or
        incomplete entries are left out, so their English is used whole."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        entries = self.tables.get(lang, {})
        for kind in TABLE_KINDS:
            for unit in table_texts.units(self.bank, kind):
                entry = entries.get(kind, {}).get(unit.id)
                if entry is not None and is_current(entry, unit):
                    out.setdefault(kind, {})[unit.id] = entry.fields
        return out

    def bank_for(self, lang: str) -> Bank:
        """The bank with `lang`'s table text (foods, forms, interactions, intakes, quiz, doses)
        in place of the English, for the renderers; tips stay English here (see `tip`).

        Built once per language. An entry missing or stale in `lang` stays English for that
        entry alone; each use of a bank with such entries counts them in `fallbacks`, so the
        admin sees that translators have a gap to fill.
        """
        if lang not in LANGUAGES:
            return self.bank
        if lang not in self._banks:
            current = self.current_tables(lang)
            total = sum(len(table_texts.units(self.bank, kind)) for kind in TABLE_KINDS)
            done = sum(len(ids) for ids in current.values())
            self._banks[lang] = (table_texts.translated_bank(self.bank, current), total - done)
        bank, untranslated = self._banks[lang]
        if untranslated:
            self.fallbacks[lang] += untranslated
        return bank

    def dose_rule_text(self, rule: DoseRule, lang: str) -> DoseRule:
        """`rule` with its text (name, how to take, minerals, missed-dose rules) in `lang` when a
        current translation exists, else the English rule; numbers and schedules stay the same.

        The dose companion calls this with the reader's language before rendering a reminder.
        """
        if lang not in LANGUAGES:
            return rule
        return next((d for d in self.bank_for(lang).doses if d.id == rule.id), rule)

    def missed_rule(self, rule: DoseRule, kind: DoseKind, lang: str) -> str | None:
        """The label's missed-dose rule for `kind` in `lang` (None where the label gives none)."""
        return self.dose_rule_text(rule, lang).missed.get(kind)

    def tip_text(self, lang: str, tip: Tip) -> TipText | None:
        """The current translation of `tip`, or None (missing, stale, or English asked for)."""
        entry = self.tips.get(lang, {}).get(tip.id)
        if entry is None or entry.source_hash != tip_hash(tip):
            return None
        return TipText(entry.title, entry.text)

    def tip(self, lang: str, tip: Tip) -> Tip:
        """`tip` in `lang` when a current translation exists, else the English tip unchanged.

        Only the title and text change; sources, evidence and audience stay the English bank's.
        A fallback is counted in `fallbacks` for the admin.
        """
        if lang == "en":
            return tip
        text = self.tip_text(lang, tip)
        if text is None:
            self.fallbacks[lang] += 1
            return tip
        return tip.model_copy(update={"title": text.title, "text": text.text})


def empty(bank: Bank) -> Translations:
    """No translations: every language falls back to English."""
    return Translations(bank)


# --- Loading ---------------------------------------------------------------------------------


def load_translations(directory: Path, bank: Bank) -> Translations:
    """Load `directory/locales/<lang>/*.yaml`; raise BankError with FILE:LINE on a malformed file.

    Malformed means: not YAML, not the format, `language` not matching the folder, an unknown or
    duplicate id, a missing or unknown field. A folder for an unsupported language is an error too
    (a typo such as `esp/` would otherwise be silently ignored).
    """
    translations = Translations(bank)
    root = directory / "locales"
    if not root.is_dir():
        return translations
    problems: list[Problem] = []
    known = bank.tip_index
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        lang = folder.name
        if lang not in LANGUAGES:
            supported = ", ".join(LANGUAGES)
            problems.append(
                Problem(str(folder), 0, f"unsupported language {lang!r} (supported: {supported})")
            )
            continue
        entries = translations.tips.setdefault(lang, {})
        tables = translations.tables.setdefault(lang, {})
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            name = _display(path, directory)
            translations.files.setdefault(lang, []).append(name)
            problems += _load_file(path, name, lang, known, entries, bank, tables)
    if problems:
        raise BankError(problems)
    return translations


def _load_file(
    path: Path,
    name: str,
    lang: str,
    known: dict[str, Tip],
    entries: dict[str, TipEntry],
    bank: Bank,
    tables: dict[str, dict[str, TableEntry]],
) -> list[Problem]:
    import yaml

    try:
        node, _ = _parse(path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [Problem(name, mark.line + 1 if mark else 0, f"malformed YAML: {exc.problem}")]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [Problem(name, 0, f"cannot read: {exc}")]
    if node is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        return [Problem(name, 1, "the file must be a mapping with `language:` and a kind")]
    problems: list[Problem] = []
    top = {k.value: (k, v) for k, v in node.value}
    for key, (key_node, _) in top.items():
        if key != "language" and key not in KINDS:
            problems.append(Problem(name, _line(key_node), f"unknown section {key!r}"))
    if "language" not in top:
        problems.append(Problem(name, 1, "missing field 'language'"))
    else:
        value = top["language"][1]
        if not _is_str(value) or value.value != lang:
            problems.append(
                Problem(
                    name,
                    _line(value),
                    f"language {_scalar(value)!r} does not match its folder {lang!r}",
                )
            )
    if "tips" in top:
        items = top["tips"][1]
        if not isinstance(items, yaml.SequenceNode):
            return [*problems, Problem(name, _line(items), "`tips` must be a list of entries")]
        for item in items.value:
            problems += _tip_entry(item, name, lang, known, entries)
    for kind in TABLE_KINDS:
        if kind not in top:
            continue
        items = top[kind][1]
        if not isinstance(items, yaml.SequenceNode):
            problems.append(Problem(name, _line(items), f"`{kind}` must be a list of entries"))
            continue
        ids = {unit.id for unit in table_texts.units(bank, kind)}
        found = tables.setdefault(kind, {})
        for item in items.value:
            problems += _table_entry(item, name, kind, ids, found)
    return problems


def _table_entry(
    item: yaml.Node, name: str, kind: str, ids: set[str], found: dict[str, TableEntry]
) -> list[Problem]:
    """One translated table entry: `id`, `from`, and only the kind's text fields, each text (a
    list of texts for LIST_FIELDS, a mapping of texts for MAP_FIELDS)."""
    import yaml

    if not isinstance(item, yaml.MappingNode):
        return [Problem(name, _line(item), "each entry must be a mapping with id, from and text")]
    allowed = table_texts.FIELDS[kind]
    problems: list[Problem] = []
    meta: dict[str, str] = {}
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in item.value:
        key = key_node.value
        if key in ("id", "from"):
            if not _is_str(value_node) or not str(value_node.value).strip():
                problems.append(Problem(name, _line(value_node), f"{key}: must be non-empty text"))
            else:
                meta[key] = _construct_str(value_node)
                lines[key] = _line(value_node)
            continue
        if key not in allowed:
            known = ", ".join(allowed)
            problems.append(
                Problem(
                    name,
                    _line(key_node),
                    f"unknown field {key!r} for {kind} (text fields: {known}; numbers, ids and "
                    "sources stay in the English bank)",
                )
            )
            continue
        if key in table_texts.LIST_FIELDS:
            if not isinstance(value_node, yaml.SequenceNode):
                problems.append(Problem(name, _line(value_node), f"{key}: must be a list of texts"))
                continue
            parts = [(f"{key}.{n}", node) for n, node in enumerate(value_node.value)]
        elif key in table_texts.MAP_FIELDS:
            if not isinstance(value_node, yaml.MappingNode):
                problems.append(
                    Problem(name, _line(value_node), f"{key}: must be a mapping of texts")
                )
                continue
            parts = [(f"{key}.{k.value}", node) for k, node in value_node.value]
        else:
            parts = [(key, value_node)]
        for flat, node in parts:
            if not _is_str(node) or not str(node.value).strip():
                problems.append(Problem(name, _line(node), f"{flat}: must be non-empty text"))
                continue
            fields[flat] = _construct_str(node)
            lines[flat] = _line(node)
    for key in ("id", "from"):
        if key not in meta and not any(k.value == key for k, _ in item.value):
            problems.append(Problem(name, _line(item), f"missing field {key!r}"))
    if problems:
        return problems
    entry_id = meta["id"]
    if entry_id not in ids:
        return [
            Problem(name, lines["id"], f"unknown {kind} id {entry_id!r} (not in the English bank)")
        ]
    if entry_id in found:
        first = found[entry_id]
        return [
            Problem(
                name, lines["id"], f"duplicate id {entry_id!r} (first at {first.file}:{first.line})"
            )
        ]
    found[entry_id] = TableEntry(kind, entry_id, meta["from"], fields, name, _line(item), lines)
    return []


def _tip_entry(
    item: yaml.Node, name: str, lang: str, known: dict[str, Tip], entries: dict[str, TipEntry]
) -> list[Problem]:
    import yaml

    if not isinstance(item, yaml.MappingNode):
        return [
            Problem(name, _line(item), "each entry must be a mapping with id, from, title, text")
        ]
    problems: list[Problem] = []
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in item.value:
        key = key_node.value
        if key not in TIP_FIELDS:
            problems.append(
                Problem(name, _line(key_node), f"unknown field {key!r} (check the spelling)")
            )
            continue
        if not _is_str(value_node) or not str(value_node.value).strip():
            problems.append(Problem(name, _line(value_node), f"{key}: must be non-empty text"))
            continue
        # The hash and id are compared as text; YAML would read `from: 12345678` as a number.
        values[key] = _construct_str(value_node)
        lines[key] = _line(value_node)
    for key in TIP_FIELDS:
        if key not in values and not any(k.value == key for k, _ in item.value):
            problems.append(Problem(name, _line(item), f"missing field {key!r}"))
    if problems:
        return problems
    tip_id = values["id"]
    if tip_id not in known:
        return [Problem(name, lines["id"], f"unknown tip id {tip_id!r} (not in the English bank)")]
    if tip_id in entries:
        first = entries[tip_id]
        return [
            Problem(
                name, lines["id"], f"duplicate id {tip_id!r} (first at {first.file}:{first.line})"
            )
        ]
    entries[tip_id] = TipEntry(
        tip_id, values["from"], values["title"], values["text"], name, _line(item), lines
    )
    return []


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _is_str(node: yaml.Node) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode)


def _scalar(node: yaml.Node) -> Any:
    import yaml

    return node.value if isinstance(node, yaml.ScalarNode) else "..."


def _construct_str(node: yaml.Node) -> str:
    """The scalar as the English bank would read it (folded `>-` blocks joined), always text."""
    import yaml

    loader = yaml.SafeLoader("")
    try:
        value = loader.construct_object(node)
    finally:
        loader.dispose()
    return value if isinstance(value, str) else str(node.value)


# --- Safety checks ---------------------------------------------------------------------------


#: Units a number may carry, by kind, as each language writes them (lower case; a word matches
#: when the text after the number starts with it). "2 hours" and "2 minutes" differ in kind.
UNITS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "mg/dl": ("mg/dl",),
        "ng/ml": ("ng/ml",),
        "mmol/l": ("mmol/l",),
        "mmol": ("mmol",),
        "mg": ("mg", "milligram"),
        "g": ("grams", "gram", "g"),
        "%": ("%", "percent", "per cent"),
        "hour": ("hours", "hour", "h"),
        "minute": ("minutes", "minute", "min"),
        "year": ("years", "year"),
        "oz": ("oz", "ounce"),
    },
    "es": {
        "mg/dl": ("mg/dl",),
        "ng/ml": ("ng/ml",),
        "mmol/l": ("mmol/l",),
        "mmol": ("mmol",),
        "mg": ("mg", "miligramo"),
        "g": ("gramos", "gramo", "g"),
        "%": ("%", "por ciento"),
        "hour": ("horas", "hora", "h"),
        "minute": ("minutos", "minuto", "min"),
        "year": ("años", "año"),
        "oz": ("oz", "onza"),
    },
    "de": {
        "mg/dl": ("mg/dl",),
        "ng/ml": ("ng/ml",),
        "mmol/l": ("mmol/l",),
        "mmol": ("mmol",),
        "mg": ("mg", "milligramm"),
        "g": ("gramm", "g"),
        "%": ("%", "prozent"),
        "hour": ("stunden", "stunde", "std", "h"),
        "minute": ("minuten", "minute", "min"),
        "year": ("jahren", "jahre", "jahr"),
        "oz": ("oz", "unze"),
    },
    "ru": {
        "mg/dl": ("мг/дл", "mg/dl"),
        "ng/ml": ("нг/мл", "ng/ml"),
        "mmol/l": ("ммоль/л", "mmol/l"),
        "mmol": ("ммоль", "mmol"),
        "mg": ("мг", "mg", "миллиграмм"),
        "g": ("граммов", "грамма", "грамм", "г"),
        "%": ("%", "процент"),
        "hour": ("часов", "часа", "час", "ч"),
        "minute": ("минуты", "минут", "минуту", "мин"),
        "year": ("года", "годы", "год", "лет"),
        "oz": ("унции", "унций", "унция", "унцию", "унц", "oz"),
    },
}


#: Load-bearing words: where the English has one, the translation needs at least as many
#: counterparts. Dropping a negation reverses advice; dropping a hedge makes a claim stronger
#: than its evidence. Matched as whole words, case-insensitively.
def _words(spaced: str) -> tuple[str, ...]:
    return tuple(spaced.split())


NEGATIONS: dict[str, tuple[str, ...]] = {
    "en": ("not", "no", "never", "without", "cannot", "none", "nor", r"\w+n['’]t"),
    "es": _words("no nunca sin ni jamás ningún ninguna ninguno nada tampoco"),
    # "nein" is the answer "No" (a quiz option: "No, not fewer" -> "Nein, nicht weniger").
    "de": _words("nicht kein keine keinen keinem keiner keines nie niemals ohne nichts weder nein"),
    "ru": _words("не нет никогда без ни нельзя ничего ничем"),
}
HEDGES: dict[str, tuple[str, ...]] = {
    "en": ("may", "might", "can", "could"),
    "es": _words(
        "puedo puede pueden puedes podemos podría podrían quizá quizás posible posiblemente "
        # "could" of the past ("no trial that we could find") is a form of poder as well.
        "pudo pudimos pudieron podido pueda puedan"
    ),
    "de": _words(
        "kann kannst können könnte könnten konnte konnten möglicherweise vielleicht eventuell"
    ),
    # Russian inflects: "возможен/возможны" (possible) and "сможет" (will be able) carry "can".
    "ru": _words(
        "может могут можно возможно возможен возможна возможны могло мог могла могли могу "
        "сможет смогут сможете смогли"
    ),
}


def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # `can't` is a negation, not the hedge `can`: a word followed by an apostrophe and a letter
    # is a contraction and does not count as the bare word.
    return re.compile(r"\b(?:" + "|".join(words) + r")\b(?!['’]\w)", re.IGNORECASE)


_NEGATION_RE = {lang: _word_pattern(words) for lang, words in NEGATIONS.items()}
_HEDGE_RE = {lang: _word_pattern(words) for lang, words in HEDGES.items()}

_PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")
_TAG_RE = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
_URL_RE = re.compile(r"(?:https?|tg|mailto)://[^\s<>\"']+|www\.[^\s<>\"']+")

_SPACES = " \u00a0\u202f\u2009"
# English: "1,800" is one thousand eight hundred and "0.75" a decimal.
_EN_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
# Other languages: thousands grouped by a dot (es, de) or a space, decimal comma (or point).
_NUMBER = {
    "es": re.compile(rf"\d{{1,3}}(?:[.{_SPACES}]\d{{3}})+(?!\d)(?:,\d+)?|\d+(?:[,.]\d+)?"),
    "de": re.compile(rf"\d{{1,3}}(?:[.{_SPACES}]\d{{3}})+(?!\d)(?:,\d+)?|\d+(?:[,.]\d+)?"),
    "ru": re.compile(rf"\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?!\d)(?:,\d+)?|\d+(?:[,.]\d+)?"),
}


def _value(written: str, lang: str) -> Decimal:
    if lang == "en":
        plain = written.replace(",", "")
    else:
        plain = written
        for sep in _SPACES:
            plain = plain.replace(sep, "")
        if lang in ("es", "de") and re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", plain):
            plain = plain.replace(".", "")
        plain = plain.replace(",", ".")
    try:
        return Decimal(plain).normalize()
    except InvalidOperation:  # pragma: no cover - the patterns only match digits
        return Decimal(0)


def _unit(after: str, lang: str) -> str | None:
    """The kind of unit written right after a number ("mg", "hour"...), or None."""
    rest = after.lstrip(_SPACES + "-").lower()
    for kind, spellings in UNITS[lang].items():
        for spelling in spellings:
            if rest.startswith(spelling):
                following = rest[len(spelling) : len(spelling) + 1]
                if not spelling[-1].isalpha() or not following.isalpha() or len(spelling) > 3:
                    return kind
    return None


def quantities(text: str, lang: str) -> list[tuple[Decimal, str | None]]:
    """Every number in `text` as (value, unit kind), read the way `lang` writes numbers.

    Numbers written as words ("two") are not numbers here: a translator may keep them as words.
    """
    pattern = _EN_NUMBER if lang == "en" else _NUMBER[lang]
    found = []
    for match in pattern.finditer(text):
        found.append((_value(match.group(0), lang), _unit(text[match.end() :][:20], lang)))
    return found


def _fmt(value: Decimal, unit: str | None) -> str:
    number = format(value, "f")
    return f"{number} {unit}" if unit else number


def number_problems(english: str, translated: str, lang: str) -> list[str]:
    """What a translation did to the English numbers: each kept with its unit, none added."""
    source = quantities(english, "en")
    target = quantities(translated, lang)
    out: list[str] = []
    source_values = {v for v, _ in source}
    target_values = {v for v, _ in target}
    source_pairs = {(v, u) for v, u in source if u is not None}
    target_pairs = {(v, u) for v, u in target if u is not None}
    for value, unit in sorted(source_pairs - target_pairs, key=str):
        out.append(f"the English says {_fmt(value, unit)}; the translation does not")
    for value in sorted(source_values - target_values - {v for v, _ in source_pairs}):
        out.append(f"the English has the number {_fmt(value, None)}; the translation does not")
    for value in sorted(target_values - source_values):
        out.append(f"the translation adds the number {_fmt(value, None)}, not in the English")
    # A unit the English leaves implicit may be written out ("aged 70 to 79" -> "de 70 a 79
    # años", "320 mg ... and men 420" -> "420 mg"), but only one the English itself uses, or years
    # (ages, "a 2018 review" -> "обзор 2018 года"): a number must not gain a new kind of unit.
    allowed = {u for _, u in source_pairs} | {"year"}
    for value, unit in sorted(target_pairs - source_pairs, key=str):
        if value in source_values and (unit not in allowed or (value, None) not in set(source)):
            out.append(
                f"the translation says {_fmt(value, unit)}, but the English does not give "
                f"{_fmt(value, None)} in {unit}"
            )
    return out


def word_problems(english: str, translated: str, lang: str) -> list[str]:
    out: list[str] = []
    for label, patterns, words in (
        ("negation", _NEGATION_RE, NEGATIONS),
        ("hedge", _HEDGE_RE, HEDGES),
    ):
        found_en = patterns["en"].findall(english)
        found = patterns[lang].findall(translated)
        if len(found) < len(found_en):
            shown = ", ".join(repr(w) for w in found_en)
            counterparts = "/".join(w for w in words[lang] if w.isalpha())
            out.append(
                f"the English has {len(found_en)} {label}(s) ({shown}) but the translation has "
                f"{len(found)} ({counterparts}): a dropped {label} changes the advice"
            )
    return out


def markup_problems(english: str, translated: str) -> list[str]:
    out: list[str] = []
    for label, pattern in (
        ("placeholders", _PLACEHOLDER_RE),
        ("HTML tags", _TAG_RE),
        ("URLs", _URL_RE),
    ):
        want = Counter(_markup_key(pattern, m) for m in pattern.finditer(english))
        got = Counter(_markup_key(pattern, m) for m in pattern.finditer(translated))
        if want != got:
            missing = ", ".join(sorted((want - got).elements())) or "none"
            extra = ", ".join(sorted((got - want).elements())) or "none"
            out.append(f"{label} differ from the English (missing: {missing}; extra: {extra})")
    return out


def _markup_key(pattern: re.Pattern[str], match: re.Match[str]) -> str:
    if pattern is _TAG_RE:  # a tag counts by kind: <b> and </b>, not its attributes
        return ("/" if match.group(0).startswith("</") else "") + match.group(1).lower()
    return match.group(0)


def text_problems(english: str, translated: str, lang: str) -> list[str]:
    """Every safety rule for one translated string against its English."""
    return [
        *number_problems(english, translated, lang),
        *word_problems(english, translated, lang),
        *markup_problems(english, translated),
    ]


@dataclass
class Coverage:
    language: str
    total: int
    translated: int
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    kind: str = "tips"

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def coverage(translations: Translations, kind: str = "tips") -> list[Coverage]:
    """Per language: how many entries of `kind` are translated, missing and stale."""
    if kind != "tips":
        return [_table_coverage(translations, kind, lang) for lang in LANGUAGES]
    bank = translations.bank
    out = []
    for lang in LANGUAGES:
        entries = translations.tips.get(lang, {})
        result = Coverage(lang, len(bank.tips), 0)
        for tip in bank.tips:
            entry = entries.get(tip.id)
            if entry is None:
                result.missing.append(tip.id)
            elif entry.source_hash != tip_hash(tip):
                result.stale.append(tip.id)
            else:
                result.translated += 1
        out.append(result)
    return out


def _table_coverage(translations: Translations, kind: str, lang: str) -> Coverage:
    entries = translations.tables.get(lang, {}).get(kind, {})
    all_units = table_texts.units(translations.bank, kind)
    result = Coverage(lang, len(all_units), 0, kind=kind)
    for unit in all_units:
        entry = entries.get(unit.id)
        if entry is None:
            result.missing.append(unit.id)
        elif entry.source_hash != unit_hash(unit):
            result.stale.append(unit.id)
        else:
            result.translated += 1
    return result


def coverage_all(translations: Translations) -> list[Coverage]:
    """Coverage for every kind (tips, then the tables) and language, as `--report` lists it."""
    out = coverage(translations)
    for kind in TABLE_KINDS:
        out += coverage(translations, kind)
    return out


def table_warnings(translations: Translations, loaded: LoadedBank) -> Iterator[Problem]:
    """Missing and stale table entries, with FILE:LINE (the English entry for a missing one)."""
    for kind in TABLE_KINDS:
        units = {unit.id: unit for unit in table_texts.units(loaded.bank, kind)}
        for lang in LANGUAGES:
            cov = _table_coverage(translations, kind, lang)
            for unit_id in cov.missing:
                yield loaded.problem(
                    f"warning: {kind} entry {unit_id!r} has no {lang} translation (shown in "
                    f"English; translate it with from: {unit_hash(units[unit_id])})",
                    *units[unit_id].loc,
                )
            for unit_id in cov.stale:
                entry = translations.tables[lang][kind][unit_id]
                yield entry.problem(
                    f"warning: stale: the English of {kind} entry {unit_id!r} changed since this "
                    f"was translated (from {entry.source_hash}, now {unit_hash(units[unit_id])}); "
                    "shown in English until updated",
                    "from",
                )


def warnings(translations: Translations, loaded: LoadedBank) -> Iterator[Problem]:
    """Missing and stale entries: sent in English until translated, so not a failure."""
    index = {tip.id: n for n, tip in enumerate(loaded.bank.tips)}
    for cov in coverage(translations):
        for tip_id in cov.missing:
            yield loaded.problem(
                f"warning: tip {tip_id!r} has no {cov.language} translation (sent in English)",
                "tips",
                index[tip_id],
                "id",
            )
        for tip_id in cov.stale:
            entry = translations.tips[cov.language][tip_id]
            yield entry.problem(
                f"warning: stale: the English of tip {tip_id!r} changed since this was "
                f"translated (from {entry.source_hash}, now "
                f"{tip_hash(loaded.bank.tips[index[tip_id]])}); sent in English until updated",
                "from",
            )


def check(
    translations: Translations, render_tip: Callable[[str, Tip], list[str]] | None = None
) -> Iterator[Problem]:
    """Safety failures in every current translation (stale ones are never sent, so not checked).

    `render_tip(lang, tip)` gives the messages the bot would send for a translated tip; each must
    fit Telegram's limit and parse, which the caller checks by returning problems as text.
    """
    bank = translations.bank
    for lang in translations.languages:
        for tip in bank.tips:
            entry = translations.tips[lang].get(tip.id)
            if entry is None or entry.source_hash != tip_hash(tip):
                continue
            for field_name, english, translated in (
                ("title", tip.title, entry.title),
                ("text", tip.text, entry.text),
            ):
                for issue in text_problems(english, translated, lang):
                    yield entry.problem(f"{lang} tip {tip.id!r} {field_name}: {issue}", field_name)
            if len(entry.text) > TRANSLATED_TIP_MAX_CHARS:
                yield entry.problem(
                    f"{lang} tip {tip.id!r} text is {len(entry.text)} characters, over "
                    f"{TRANSLATED_TIP_MAX_CHARS}",
                    "text",
                )
            if render_tip is not None:
                translated_tip = translations.tip(lang, tip)
                for issue in render_tip(lang, translated_tip):
                    yield entry.problem(f"{lang} tip {tip.id!r}: {issue}", "text")
    yield from check_tables(translations)


#: Telegram's limits on a quiz poll's parts, by flattened field.
_QUIZ_LIMITS = {
    "question": QUIZ_QUESTION_MAX,
    "options": QUIZ_OPTION_MAX,
    "explanation": QUIZ_EXPLANATION_MAX,
}


def check_tables(translations: Translations) -> Iterator[Problem]:
    """The same safety rules for every current table entry, field by field, plus each field's
    shape (every English field translated, none added) and the quiz poll's limits."""
    bank = translations.bank
    for lang in translations.languages:
        tables = translations.tables.get(lang, {})
        for kind in TABLE_KINDS:
            entries = tables.get(kind, {})
            for unit in table_texts.units(bank, kind):
                entry = entries.get(unit.id)
                if entry is None or entry.source_hash != unit_hash(unit):
                    continue
                yield from _check_entry(lang, unit, entry)


def _check_entry(lang: str, unit: Unit, entry: TableEntry) -> Iterator[Problem]:
    where = f"{lang} {unit.kind} {unit.id!r}"
    for name in unit.fields.keys() - entry.fields.keys():
        yield entry.problem(f"{where}: missing field {name!r} (the English has it)")
    for name in entry.fields.keys() - unit.fields.keys():
        yield entry.problem(f"{where}: field {name!r} is not in the English", name)
    for name, english in unit.fields.items():
        translated = entry.fields.get(name)
        if translated is None:
            continue
        for issue in text_problems(english, translated, lang):
            yield entry.problem(f"{where} {name}: {issue}", name)
        limit = _QUIZ_LIMITS.get(name.split(".")[0]) if unit.kind == "quiz" else None
        if limit is None:
            # Translations run longer than English, but not twice as long: one that does has
            # added something the English does not say.
            limit = round(len(english) * TABLE_LENGTH_FACTOR) + 20
        if limit is not None and utf16_length(translated) > limit:
            yield entry.problem(
                f"{where} {name} is {utf16_length(translated)} characters, over {limit}", name
            )
    if unit.kind == "quiz":
        options = [v for k, v in entry.fields.items() if k.startswith("options.")]
        if len(set(options)) != len(options):
            yield entry.problem(f"{where}: options must all differ", "options.0")
        explanation = entry.fields.get("explanation", "")
        if explanation.count("\n") > 2:
            yield entry.problem(f"{where} explanation: at most 2 line breaks", "explanation")


__all__ = [
    "LANGUAGES",
    "TIP_MAX_CHARS",
    "TRANSLATED_TIP_MAX_CHARS",
    "Coverage",
    "TableEntry",
    "TipEntry",
    "TipText",
    "Translations",
    "check",
    "check_tables",
    "coverage",
    "coverage_all",
    "empty",
    "english_hash",
    "load_translations",
    "quantities",
    "table_warnings",
    "text_problems",
    "tip_hash",
    "unit_hash",
    "warnings",
]
