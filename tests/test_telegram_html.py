"""Telegram's HTML parse-mode rules (tipbot.telegram_html), one rule per case."""

from __future__ import annotations

import pytest

from tipbot.telegram_html import (
    ALLOWED_TAGS,
    MAX_CALLBACK_DATA_BYTES,
    MAX_MESSAGE_LENGTH,
    check_html,
    parse_html,
    syntax_problems,
    utf16_length,
    visible_length,
    visible_text,
)

VALID = [
    "plain text",
    "<b>bold</b> <strong>bold</strong>",
    "<i>italic</i> <em>italic</em>",
    "<u>underline</u> <ins>underline</ins>",
    "<s>strike</s> <strike>strike</strike> <del>strike</del>",
    '<span class="tg-spoiler">spoiler</span> <tg-spoiler>spoiler</tg-spoiler>',
    '<a href="http://www.example.com/">inline URL</a>',
    '<a href="https://ods.od.nih.gov/factsheets/Magnesium-HealthProfessional/">NIH</a>',
    '<a href="tg://user?id=123456789">inline mention</a>',
    '<a href="mailto:someone@example.org">mail</a>',
    "<a href='https://example.org/?a=1&amp;b=2'>single quotes, escaped &amp;</a>",
    "<a href=https://example.org/unquoted>unquoted href</a>",
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
    "<code>inline fixed-width code</code>",
    "<pre>pre-formatted fixed-width code block</pre>",
    '<pre><code class="language-python">print("hi")</code></pre>',
    "<blockquote>Block quotation\nsecond line</blockquote>",
    "<blockquote expandable>Expandable quotation</blockquote>",
    (
        '<b>bold <i>italic bold <s>italic bold strikethrough <span class="tg-spoiler">italic '
        "bold strikethrough spoiler</span></s> <u>underline italic bold</u></i> bold</b>"
    ),
    "&lt;b&gt; is how you write &lt;b&gt;, &amp; is an ampersand, &quot;quoted&quot;",
    "numeric: &#60; &#x3C; &#128512; &#x1F600;",
    "a > b is fine: Telegram accepts a bare '>'",
    "<B>upper-case tag names work</B>",
    "<b >space before the bracket</b >",
    "line one\nline two\n\n<i>paragraph</i>",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_html_has_no_problems(text: str) -> None:
    assert check_html(text) == []


INVALID = [
    # (text, the start of the expected problem)
    ("<div>block</div>", "unsupported tag <div>"),
    ("<p>paragraph</p>", "unsupported tag <p>"),
    ("line<br>break", "unsupported tag <br>"),
    ("<h1>title</h1>", "unsupported tag <h1>"),
    ("<b>never closed", "unclosed tag <b>"),
    ("<b><i>both open</i>", "unclosed tag <b>"),
    ("closed </i> but never opened", "unexpected end tag </i>"),
    ("<b><i>crossed</b></i>", "unexpected end tag </b>"),
    ("1 < 2", "bare '<' or '&' must be escaped"),
    ("a <3 b", "bare '<' or '&' must be escaped"),
    ("salt & pepper", "bare '<' or '&' must be escaped"),
    ("AT&T", "bare '<' or '&' must be escaped"),
    ("&lt without semicolon", "bare '<' or '&' must be escaped"),
    ("&#X41; upper-case X is not hex to Telegram", "bare '<' or '&' must be escaped"),
    ("&nbsp;", "unknown entity &nbsp;"),
    ("&foo;", "unknown entity &foo;"),
    ("&copy; 2024", "unknown entity &copy;"),
    ("&#0;", "invalid numeric entity &#0;"),
    ("&#xD800;", "invalid numeric entity &#xD800;"),
    ("&#1114112;", "invalid numeric entity &#1114112;"),
    ('<a href="ftp://example.org/">x</a>', "a href must be http(s)://, tg:// or mailto:"),
    ('<a href="javascript:alert(1)">x</a>', "a href must be http(s)://, tg:// or mailto:"),
    ('<a href="example.org">x</a>', "a href must be http(s)://, tg:// or mailto:"),
    ("<a>no href</a>", "a href must be http(s)://, tg:// or mailto:"),
    ('<a href="https://x.org/?a=1&b=2">x</a>', "bare '<' or '&' must be escaped"),
    ('<a href="https://x.org/" title="t">x</a>', "unsupported attribute 'title' on <a>"),
    ('<b class="x">x</b>', "unsupported attribute 'class' on <b>"),
    ("<span>x</span>", '<span> needs class="tg-spoiler"'),
    ('<span class="other">x</span>', '<span> needs class="tg-spoiler"'),
    ('<code class="language-python">x</code>', "a language (<code class=...>) can only be"),
    ('<pre><code class="python">x</code></pre>', '<code> class must be "language-..."'),
    ("<blockquote collapsed>x</blockquote>", "unsupported attribute 'collapsed'"),
    ("<tg-emoji>👍</tg-emoji>", "<tg-emoji> needs a numeric emoji-id"),
    ('<tg-emoji emoji-id="abc">👍</tg-emoji>', "<tg-emoji> needs a numeric emoji-id"),
    ("<b/>", "malformed or unsupported tag '<b/'"),
    ("<!-- comment -->", "malformed or unsupported tag '<!-- comment --'"),
    ("<b", "malformed or unsupported tag '<b'"),
    ("", "message text is empty"),
    (" \n ", "message text is empty"),
    ("<b> </b>", "message text is empty"),
]


@pytest.mark.parametrize(("text", "problem"), INVALID)
def test_invalid_html_is_reported(text: str, problem: str) -> None:
    problems = check_html(text)
    assert problems, f"{text!r} should be rejected"
    assert any(p.startswith(problem) for p in problems), problems


def test_unsupported_tag_is_reported_once() -> None:
    # Neither the matching end tag nor a missing one adds noise after "unsupported tag".
    assert check_html("<div>x</div>") == ["unsupported tag <div>"]
    assert check_html("a<br>b") == ["unsupported tag <br>"]


def test_crossed_nesting_reports_both_ends() -> None:
    assert check_html("<b><i>x</b></i>") == [
        "unexpected end tag </b> (expected </i>)",
        "unclosed tag <b>",
    ]


def test_problems_say_where() -> None:
    [problem] = check_html("tips & tricks")
    assert "offset 5" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("&lt;&gt;&amp;&quot;", '<>&"'),
        ("&#60;&#x3c;&#x3C;", "<<<"),
        ("&#128512;", "😀"),
        ("<b>a</b> &amp; <i>b</i>", "a & b"),
        ("'single' and \"double\" quotes stay", "'single' and \"double\" quotes stay"),
        ('<a href="https://x.org/?a=1&amp;b=2">link</a>', "link"),
        ('<pre><code class="language-python">x = 1 &lt; 2</code></pre>', "x = 1 < 2"),
    ],
)
def test_visible_text_decodes_entities_and_drops_tags(text: str, expected: str) -> None:
    assert visible_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'See <a href="https://ods.od.nih.gov/">the NIH fact sheet</a>.',
            "See the NIH fact sheet (https://ods.od.nih.gov/).",
        ),
        ('<a href="https://x.org/">https://x.org/</a>', "https://x.org/"),
        ('<a href="https://x.org/?a=1&amp;b=2">q</a>', "q (https://x.org/?a=1&b=2)"),
        ('<a href="https://x.org/"><b>bold</b> label</a>', "bold label (https://x.org/)"),
        ("no links <b>here</b>", "no links here"),
    ],
)
def test_visible_text_can_show_links(text: str, expected: str) -> None:
    assert visible_text(text, show_links=True) == expected


def test_links_are_hidden_by_default() -> None:
    assert visible_text('See <a href="https://ods.od.nih.gov/">NIH</a>.') == "See NIH."


def test_visible_text_of_invalid_html_does_not_raise() -> None:
    assert visible_text("1 < 2 & <div>3</div> <b>open") == "1 < 2 & 3 open"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("abc", 3),
        ("<b>abc</b>", 3),
        ("&lt;&gt;", 2),
        ("😀", 2),  # outside the BMP: a surrogate pair in UTF-16
        ("&#128512;", 2),
        ("é", 1),
        ("👍🏽", 4),  # emoji + skin-tone modifier, two astral code points
        ('<a href="https://a-long-url.example.org/">x</a>', 1),
    ],
)
def test_visible_length_counts_utf16_after_parsing(text: str, length: int) -> None:
    assert visible_length(text) == length


def test_utf16_length() -> None:
    assert utf16_length("") == 0
    assert utf16_length("a😀b") == 4


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("x" * MAX_MESSAGE_LENGTH, True),
        ("x" * (MAX_MESSAGE_LENGTH + 1), False),
        ("<b>" + "x" * MAX_MESSAGE_LENGTH + "</b>", True),  # tags do not count
        ("&amp;" * MAX_MESSAGE_LENGTH, True),  # each entity counts as one character
        ("&amp;" * (MAX_MESSAGE_LENGTH + 1), False),
        ("😀" * (MAX_MESSAGE_LENGTH // 2), True),  # 2048 emoji = 4096 UTF-16 units
        ("😀" * (MAX_MESSAGE_LENGTH // 2) + "x", False),
        ("é" * MAX_MESSAGE_LENGTH, True),  # 8192 UTF-8 bytes, but 4096 UTF-16 units
    ],
)
def test_the_4096_limit(text: str, ok: bool) -> None:
    problems = check_html(text)
    if ok:
        assert problems == []
    else:
        length = visible_length(text)
        assert problems == [f"text is {length} characters after parsing, over 4096"]


def test_syntax_problems_leave_out_length_and_emptiness() -> None:
    assert syntax_problems("") == []
    assert syntax_problems("x" * 5000) == []
    assert syntax_problems("<div>") == ["unsupported tag <div>"]


def test_entities_match_what_telegram_returns() -> None:
    parsed = parse_html(
        '😀 <b>bold <i>both</i></b> <a href="https://x.org/">link</a> '
        '<pre><code class="language-python">code</code></pre> '
        "<blockquote expandable>q</blockquote> <tg-spoiler>s</tg-spoiler>"
    )
    assert parsed.problems == []
    assert parsed.text == "😀 bold both link code q s"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 13, "length": 4, "url": "https://x.org/"},
        {"type": "pre", "offset": 18, "length": 4, "language": "python"},
        {"type": "expandable_blockquote", "offset": 23, "length": 1},
        {"type": "spoiler", "offset": 25, "length": 1},
    ]


def test_constants() -> None:
    assert MAX_MESSAGE_LENGTH == 4096
    assert MAX_CALLBACK_DATA_BYTES == 64
    assert set(ALLOWED_TAGS) == {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
