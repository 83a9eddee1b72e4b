"""Keeping the gettext catalogues in step with the English: extract, update, compile, check.

`python -m tipbot.catalogues update` re-extracts every message (babel.cfg) into
`tipbot/locales/tipbot.pot` and merges it into each language's `.po`; `compile` writes the `.mo`
files the wheel ships; `check` fails when a message is untranslated or fuzzy, or when a translation
does not keep the English's placeholders, HTML tags, URLs, numbers with their units, negations
and hedges (the same rules as the tip bank's translations). The test suite runs `check`.

All messages use `str.format` braces. Babel marks any message with a `%` (such as "{dv}% DV") as
`python-format` too, and its checker then compares "% D" with "% d"; so that flag is dropped here
and braces are checked instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from gettext import GNUTranslations
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from tipbot.content import translations as rules
from tipbot.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
POT = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every message of the source tree, as `pybabel extract -F babel.cfg` would find them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="tipbot", version="0.1.0", fuzzy=False)
    found = extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",)
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    _brace_format_only(catalog)
    return catalog


def _brace_format_only(catalog: Catalog) -> None:
    for message in catalog:
        message.flags.discard("python-format")


def update() -> None:
    template = extract()
    with POT.open("wb") as out:
        write_po(out, template, width=100, sort_by_file=True, omit_header=False)
    for language in LANGUAGES[1:]:
        path = po_path(language)
        with path.open("rb") as existing:
            catalog = read_po(existing, locale=language)
        catalog.update(template, update_header_comment=False)
        _brace_format_only(catalog)
        with path.open("wb") as out:
            write_po(out, catalog, width=100, sort_by_file=True, ignore_obsolete=True)


def compile_all() -> None:
    for language in LANGUAGES[1:]:
        with po_path(language).open("rb") as source:
            catalog = read_po(source, locale=language)
        with po_path(language).with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)


def _texts(message: Message) -> Iterator[tuple[str, str]]:
    """(English, translation) pairs: for a plural, each form against the English plural."""
    if isinstance(message.id, tuple | list):
        singular, plural = message.id
        forms = message.string if isinstance(message.string, tuple | list) else ()
        for n, form in enumerate(forms):
            yield (singular if n == 0 else plural), str(form)
    else:
        yield str(message.id), str(message.string)


def check(language: str, path: Path | None = None) -> list[str]:
    """Every problem in one language's catalogue, as `FILE:LINE: message` lines."""
    path = path or po_path(language)
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    display = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    problems: list[str] = []
    template_ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in extract() if m.id}
    for message in catalog:
        if not message.id:
            continue
        where = f"{display}:{message.lineno}"
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        if key not in template_ids:
            problems.append(f"{where}: not in the source any more (run update)")
        if not message.string or (
            isinstance(message.string, tuple | list) and not all(message.string)
        ):
            problems.append(f"{where}: untranslated")
            continue
        if message.fuzzy:
            problems.append(f"{where}: fuzzy (review it, then remove the flag)")
        message.flags.discard("python-format")  # re-added on reading; braces are checked below
        for error in message.check(catalog):  # Babel's checkers (plural forms, formats)
            problems.append(f"{where}: {error}")
        for english, translated in _texts(message):
            for issue in rules.text_problems(english, translated, language):
                problems.append(f"{where}: {issue}")
    in_catalog = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}
    for missing in sorted(template_ids - in_catalog, key=str):
        problems.append(f"{display}: missing message {missing!r} (run update)")
    problems += _compiled_matches(catalog, path.with_suffix(".mo"), display)
    return problems


def _compiled_matches(catalog: Catalog, mo: Path, display: object) -> list[str]:
    """The shipped .mo must say what the .po says (by content: git does not keep mtimes)."""
    if not mo.exists():
        return [f"{display}: no compiled .mo (run compile)"]
    with mo.open("rb") as source:
        compiled = GNUTranslations(source)
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, str):
            if compiled.gettext(message.id) != message.string:
                return [f"{display}: the compiled .mo is out of date (run compile)"]
        elif compiled.ngettext(message.id[0], message.id[1], 1) == message.id[0]:
            return [f"{display}: the compiled .mo is out of date (run compile)"]
    return []


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = [p for language in LANGUAGES[1:] for p in check(language)]
        print("\n".join(problems) or "catalogues OK")
        return 1 if problems else 0
    else:
        print("usage: python -m tipbot.catalogues [update|compile|check]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
