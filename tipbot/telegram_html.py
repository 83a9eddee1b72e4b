"""Telegram's HTML parse mode, checked offline.

Telegram rejects a whole message whose HTML it cannot parse ("Bad Request: can't parse
entities"), so a bad tag in one tip would silently cost every subscriber that day's message. This
module lets the tip-bank validator, the renderer and the fake Bot API used by the tests apply the
same rules before anything reaches Telegram (https://core.telegram.org/bots/api#html-style).

The checks are deliberately a little stricter than Telegram's own parser where Telegram is lenient
in ways that hide bugs:

* Telegram shows a bare ``&`` (or an unknown entity such as ``&nbsp;``) literally, but a bare
  ``&`` means some text was not escaped, and the next ``&lt`` in that text would be decoded, so
  we report it.
* Telegram ignores unknown attributes and drops links it cannot use; we report both, because the
  bot never means to send them.

Everything here is pure and has no Telegram imports, so the validator can run anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "ALLOWED_TAGS",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_MESSAGE_LENGTH",
    "ParsedHtml",
    "check_html",
    "parse_html",
    "syntax_problems",
    "utf16_length",
    "visible_length",
    "visible_text",
]

#: Telegram's limit on a message's text, counted in UTF-16 code units after entity parsing.
MAX_MESSAGE_LENGTH: Final = 4096

#: Telegram's limit on an inline button's callback_data, counted in UTF-8 bytes.
MAX_CALLBACK_DATA_BYTES: Final = 64

#: Every tag Telegram understands, mapped to the attributes it accepts on that tag. Attribute
#: values are checked further in `_check_attributes` (span needs class="tg-spoiler", code may carry
#: class="language-..." only inside pre, a needs an http(s)/tg/mailto href, ...).
ALLOWED_TAGS: Final[dict[str, frozenset[str]]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "span": frozenset({"class"}),
    "tg-spoiler": frozenset(),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}

#: Bot API entity type for each tag (pre, code, a, blockquote and tg-emoji are refined later).
_ENTITY_TYPES: Final[dict[str, str]] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

#: The only named entities Telegram decodes; every numeric entity is supported too.
_NAMED_ENTITIES: Final[dict[str, str]] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_HREF_SCHEMES: Final = re.compile(r"(?:https?://|tg://|mailto:)\S", re.IGNORECASE)

# Tag syntax as Telegram's parser reads it: a name, then attributes whose values may be quoted
# with either quote or unquoted, then ">". Anything else starting with "<" is not a tag.
_ATTR: Final = r"""[^\s=>/"'<]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?"""
_START_TAG_RE: Final = re.compile(rf"<([A-Za-z][A-Za-z0-9-]*)((?:\s+{_ATTR})*)\s*>")
_ATTR_RE: Final = re.compile(r"""([^\s=>/"'<]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_END_TAG_RE: Final = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)?\s*>")
# Telegram reads only a lower-case "x" in hexadecimal references, so "&#X41;" is not an entity.
_ENTITY_RE: Final = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|([A-Za-z][A-Za-z0-9]*));")

_BARE = "bare '<' or '&' must be escaped"


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for lengths and entity offsets.

    Characters outside the Basic Multilingual Plane (most emoji) count 2.
    """
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass
class ParsedHtml:
    """The result of reading a message the way Telegram does.

    `text` is what the user sees, `entities` are Bot API MessageEntity objects (offsets and
    lengths in UTF-16 code units) and `problems` lists every reason Telegram would reject the
    markup (the length and emptiness limits are not markup problems; see `check_html`).
    """

    text: str
    entities: list[dict[str, str | int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: `text` with each link written as "label (URL)" unless the label is the URL.
    text_with_links: str = ""


@dataclass
class _Open:
    name: str
    attrs: dict[str, str | None]
    supported: bool
    out_index: int  # where the element's text starts in the plain output
    link_index: int  # ... and in the output that spells out links
    offset: int  # UTF-16 offset where the element's text starts
    language: str | None = None  # set on pre when a code child names a language


def _decode_entity(match: re.Match[str]) -> str | None:
    """The character an entity stands for, or None if Telegram would not decode it."""
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_attribute(raw: str, problems: list[str], offset: int) -> str:
    """Decode entities in an attribute value, reporting bare '&' like in text."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        match = _ENTITY_RE.match(raw, i)
        decoded = _decode_entity(match) if match else None
        if match is None:
            problems.append(f"{_BARE} (found '&' in an attribute at offset {offset})")
            out.append("&")
            i += 1
        elif decoded is None:
            problems.append(_entity_problem(match.group(0)))
            out.append(match.group(0))
            i = match.end()
        else:
            out.append(decoded)
            i = match.end()
    return "".join(out)


def _entity_problem(entity: str) -> str:
    if entity.startswith("&#"):
        return f"invalid numeric entity {entity}"
    return f"unknown entity {entity} (only &lt; &gt; &amp; &quot; and numeric entities work)"


def _parse_attributes(raw: str, problems: list[str], offset: int) -> dict[str, str | None]:
    attrs: dict[str, str | None] = {}
    for match in _ATTR_RE.finditer(raw):
        name, value = match.group(1).lower(), match.group(2)
        if value is None:
            attrs[name] = None
            continue
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs[name] = _decode_attribute(value, problems, offset)
    return attrs


def _check_attributes(
    name: str, attrs: dict[str, str | None], parent: str | None, problems: list[str]
) -> None:
    """Report attributes Telegram does not accept, or accepts but would not use as meant."""
    for attr in attrs:
        if attr not in ALLOWED_TAGS[name]:
            problems.append(f"unsupported attribute {attr!r} on <{name}>")
    if name == "span" and attrs.get("class") != "tg-spoiler":
        problems.append('<span> needs class="tg-spoiler" (or use <tg-spoiler>)')
    elif name == "a":
        href = attrs.get("href")
        if not href or not _HREF_SCHEMES.match(href):
            problems.append(f"a href must be http(s)://, tg:// or mailto: (got {href!r})")
    elif name == "code" and "class" in attrs:
        cls = attrs["class"] or ""
        if not cls.startswith("language-") or len(cls) == len("language-"):
            problems.append(f'<code> class must be "language-..." (got {cls!r})')
        elif parent != "pre":
            problems.append("a language (<code class=...>) can only be given inside <pre>")
    elif name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id or not emoji_id.isascii() or not emoji_id.isdigit():
            problems.append(f"<tg-emoji> needs a numeric emoji-id (got {emoji_id!r})")


def parse_html(text: str) -> ParsedHtml:
    """Read `text` as Telegram's HTML parse mode does, collecting every problem on the way.

    Parsing never stops at a problem: a malformed tag or bare '<' is kept as literal text and an
    unsupported tag is dropped, so `ParsedHtml.text` is a best-effort rendering even of bad input
    (which is what the offline console wants to print).
    """
    problems: list[str] = []
    out: list[str] = []  # the visible text, in pieces
    linked: list[str] = []  # the same, with link targets spelled out
    entities: list[dict[str, str | int]] = []
    stack: list[_Open] = []
    offset = 0  # UTF-16 length of `out` so far

    def emit(piece: str) -> None:
        nonlocal offset
        out.append(piece)
        linked.append(piece)
        offset += utf16_length(piece)

    i, n = 0, len(text)
    while i < n:
        lt = text.find("<", i)
        amp = text.find("&", i)
        stop = min(p for p in (lt, amp, n) if p != -1)
        if stop > i:
            emit(text[i:stop])
            i = stop
            continue
        if text[i] == "&":
            match = _ENTITY_RE.match(text, i)
            decoded = _decode_entity(match) if match else None
            if match is None:
                problems.append(f"{_BARE} (found '&' at offset {i})")
                emit("&")
                i += 1
            elif decoded is None:
                problems.append(_entity_problem(match.group(0)))
                emit(match.group(0))
                i = match.end()
            else:
                emit(decoded)
                i = match.end()
            continue
        # text[i] == "<"
        if (start := _START_TAG_RE.match(text, i)) is not None:
            name = start.group(1).lower()
            attrs = _parse_attributes(start.group(2), problems, i)
            supported = name in ALLOWED_TAGS
            parent = stack[-1].name if stack else None
            if supported:
                _check_attributes(name, attrs, parent, problems)
            else:
                problems.append(f"unsupported tag <{name}>")
            stack.append(_Open(name, attrs, supported, len(out), len(linked), offset))
            if supported and name == "code" and parent == "pre":
                cls = attrs.get("class") or ""
                if cls.startswith("language-"):
                    stack[-2].language = cls[len("language-") :]
            i = start.end()
            continue
        if (end := _END_TAG_RE.match(text, i)) is not None:
            # Telegram's parser accepts "</>" as closing whatever is open.
            name = (end.group(1) or (stack[-1].name if stack else "")).lower()
            i = end.end()
            if not stack or stack[-1].name != name:
                expected = f" (expected </{stack[-1].name}>)" if stack else ""
                problems.append(f"unexpected end tag </{name}>{expected}")
                continue
            opened = stack.pop()
            if opened.supported:
                _close(opened, text_so_far=out, linked=linked, offset=offset, entities=entities)
            continue
        # A "<" that starts no tag: Telegram rejects it.
        if i + 1 < n and (text[i + 1].isalpha() or text[i + 1] in "/!?"):
            snippet = text[i : i + 20].split(">", 1)[0]
            problems.append(f"malformed or unsupported tag {snippet!r}... at offset {i}")
        else:
            problems.append(f"{_BARE} (found '<' at offset {i})")
        emit("<")
        i += 1

    for opened in stack:
        if opened.supported:
            problems.append(f"unclosed tag <{opened.name}>")
    entities.sort(key=lambda e: (int(e["offset"]), -int(e["length"])))
    return ParsedHtml("".join(out), entities, problems, "".join(linked))


def _close(
    opened: _Open,
    *,
    text_so_far: list[str],
    linked: list[str],
    offset: int,
    entities: list[dict[str, str | int]],
) -> None:
    """Finish an element: spell out its link target and record its Bot API entity."""
    name, attrs = opened.name, opened.attrs
    if name == "a":
        label = "".join(text_so_far[opened.out_index :])
        href = attrs.get("href") or ""
        if href and label != href:
            linked.append(f" ({href})")
    length = offset - opened.offset
    if length == 0:
        return  # Telegram drops empty entities
    entity: dict[str, str | int] = {
        "type": _ENTITY_TYPES[name],
        "offset": opened.offset,
        "length": length,
    }
    if name == "a":
        entity["url"] = attrs.get("href") or ""
    elif name == "pre" and opened.language:
        entity["language"] = opened.language
    elif name == "code" and (attrs.get("class") or "").startswith("language-"):
        return  # merged into the enclosing pre entity, as Telegram does
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id") or ""
    entities.append(entity)


def syntax_problems(text: str) -> list[str]:
    """Only the markup problems in `text` (no length or emptiness checks)."""
    return parse_html(text).problems


def check_html(text: str) -> list[str]:
    """Every reason Telegram would reject `text` sent with parse_mode=HTML; empty if none.

    Besides the markup, this checks what Telegram checks on the parsed text: that it is not empty
    (Telegram trims surrounding whitespace first) and that it fits in `MAX_MESSAGE_LENGTH` UTF-16
    code units. The length is counted before trimming, so a text is never passed on the strength
    of whitespace Telegram might or might not drop.
    """
    parsed = parse_html(text)
    problems = list(parsed.problems)
    length = utf16_length(parsed.text)
    if not parsed.text.strip():
        problems.append("message text is empty")
    elif length > MAX_MESSAGE_LENGTH:
        problems.append(f"text is {length} characters after parsing, over {MAX_MESSAGE_LENGTH}")
    return problems


def visible_text(text: str, *, show_links: bool = False) -> str:
    """The message as the user sees it: tags removed and entities decoded.

    With `show_links`, each ``<a href="URL">label</a>`` reads ``label (URL)`` (just ``URL`` when
    the label already is the URL), so a console transcript keeps the citations a reader could
    tap in Telegram. Invalid markup is rendered as well as possible rather than raising.
    """
    parsed = parse_html(text)
    return parsed.text_with_links if show_links else parsed.text


def visible_length(text: str) -> int:
    """Length of the parsed text in UTF-16 code units, the measure of Telegram's 4096 limit."""
    return utf16_length(parse_html(text).text)
