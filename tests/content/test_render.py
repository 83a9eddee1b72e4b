"""Rendering: every dynamic string escaped, long output split at paragraph boundaries."""

import pytest

from tipbot import messages
from tipbot.content import render, screens
from tipbot.content.intake import Person, answer
from tipbot.content.models import Bank, Sex
from tipbot.telegram_html import MAX_MESSAGE_LENGTH, check_html


def test_split_keeps_paragraphs_whole_and_under_the_limit() -> None:
    paragraphs = [f"<b>{n}</b> " + "word " * 150 for n in range(30)]
    pages = render.split_paragraphs(paragraphs)
    assert len(pages) > 1
    assert all(len(p) <= MAX_MESSAGE_LENGTH and check_html(p) == [] for p in pages)
    assert "\n\n".join(pages) == "\n\n".join(paragraphs)


def test_split_cuts_a_too_long_paragraph_between_lines() -> None:
    paragraph = "\n".join(f"• line {n} " + "x" * 80 for n in range(100))
    pages = render.split_paragraphs(["head", paragraph])
    assert len(pages) > 1
    assert all(len(p) <= MAX_MESSAGE_LENGTH for p in pages)


def test_a_single_line_over_the_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="over 4096"):
        render.split_paragraphs(["x" * 5000])


def test_dynamic_text_is_escaped() -> None:
    assert render.esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert "&lt;script&gt;" in render.welcome("<script>")


def test_every_tip_renders_to_valid_html_with_numbered_sources(bank: Bank) -> None:
    for tip in bank.tips:
        html = render.tip(bank, tip)
        assert check_html(html) == [], tip.id
        assert '1. <a href="https://' in html
        assert render.EVIDENCE_WORDS[tip.evidence] in html


def test_every_reference_page_is_valid(bank: Bank) -> None:
    pages = [render.foods(bank), *render.interactions_overview(bank), *render.sources(bank)]
    for key in ["forms", *(f"form.{f.id}" for f in bank.forms)]:
        reply = screens.reply_for(bank, key)
        assert reply is not None
        pages += [*reply.screens, *screens.source_screens(bank, reply.sources)]
    assert all(check_html(p) == [] for p in pages)


# --- issue 10: labelled reference values, kidney warning on /forms, grammar -----------------------


def _intake_page(bank: Bank, age: int, sex: str) -> str:
    from tipbot.content.intake import Person, answer
    from tipbot.content.models import Sex

    return render.intake(bank, answer(bank.intakes, Person(age, Sex(sex))))


def test_intake_labels_us_values_and_shows_european_ones_beside_them(bank: Bank) -> None:
    page = _intake_page(bank, 67, "female")
    assert check_html(page) == []
    assert "<i>US/Canadian reference values</i>" in page
    assert "Adults 51-70 years: <b>320 mg</b>" in page
    assert "EFSA adequate intake (EU): <b>300 mg</b> a day" in page
    assert "<b>250 mg</b> a day from supplements" in page
    assert "<b>375 mg</b>" in page
    assert "UK reference nutrient intake" not in page  # the cited UK value is for ages 19 to 64
    assert "https://doi.org/10.2903/j.efsa.2015.4186" in page


def test_intake_shows_the_uk_value_for_its_ages(bank: Bank) -> None:
    page = _intake_page(bank, 40, "male")
    assert "UK reference nutrient intake (adults 19 to 64): <b>300 mg</b> a day" in page
    assert "EFSA adequate intake (EU): <b>350 mg</b> a day" in page


def test_children_see_no_adult_european_intake(bank: Bank) -> None:
    page = _intake_page(bank, 6, "male")
    assert "EFSA adequate intake" not in page and "375 mg" not in page
    assert "<b>250 mg</b> a day from supplements" in page


@pytest.mark.parametrize(
    ("age", "start"),
    [
        (8, "an 8-year-old"),
        (11, "an 11-year-old"),
        (18, "an 18-year-old"),
        (80, "an 80-year-old"),
        (67, "a 67-year-old"),
        (1, "a 1-year-old"),
    ],
)
def test_intake_heading_uses_the_right_article(bank: Bank, age: int, start: str) -> None:
    assert _intake_page(bank, age, "female").startswith(f"<b>Magnesium for {start} ")


def test_forms_carry_the_kidney_warning_with_its_sources(bank: Bank) -> None:
    for form in bank.forms:
        paragraphs, cited = render.form_parts(bank, form)
        assert f"⚠️ {render.esc(bank.interactions.kidney_caution)}" in paragraphs
        assert set(bank.interactions.kidney_caution_sources) <= set(cited)
    text = "\n\n".join(screens.source_screens(bank, cited))
    assert "https://doi.org/10.1001/archfami.4.8.718" in text
    overview, _ = render.forms_overview_parts(bank)
    assert f"⚠️ {render.esc(messages.FORMS_KIDNEY)}" in overview


def test_foods_footer_names_the_us_daily_value_and_the_eu_reference(bank: Bank) -> None:
    page = render.foods(bank)
    assert "US Daily Value of 420 mg" in page
    assert "%NRV instead, based on 375 mg" in page
    assert "https://eur-lex.europa.eu/eli/reg/2011/1169/oj" in page


def test_no_entry_is_never_called_safe() -> None:
    from tipbot import messages

    assert "no entry does not mean a combination is safe" in messages.INTERACTIONS_FOOTER
    assert "<b>Emergency.</b>" in messages.ABOUT
    assert "drowsiness" in messages.ABOUT


def test_intake_with_the_eu_region_shows_eu_values_first_and_keeps_the_others(bank: Bank) -> None:
    result = answer(bank.intakes, Person(40, Sex.FEMALE))
    page = render.intake(bank, result, region="eu")
    assert check_html(page) == []
    eu, us, uk = (
        page.index("<i>EU reference values</i>"),
        page.index("<i>US/Canadian reference values</i>"),
        page.index("UK reference nutrient intake (adults 19 to 64): <b>270 mg</b>"),
    )
    assert eu < us < uk
    assert page.index("EFSA adequate intake (EU): <b>300 mg</b>") < us
    assert page.startswith("<b>Magnesium for a 40-year-old woman</b>\n<i>EU reference values</i>")


def test_intake_with_the_uk_region_shows_the_uk_value_first_where_it_applies(bank: Bank) -> None:
    page = render.intake(bank, answer(bank.intakes, Person(40, Sex.MALE)), region="uk")
    assert page.index("<i>UK reference values</i>") < page.index("US/Canadian reference values")
    older = render.intake(bank, answer(bank.intakes, Person(71, Sex.MALE)), region="uk")
    # The cited UK value stops at 64: no UK heading without a UK value, the US set first.
    assert "<i>UK reference values</i>" not in older
    assert older == render.intake(bank, answer(bank.intakes, Person(71, Sex.MALE)))


def test_foods_for_the_eu_region_give_percent_nrv(bank: Bank) -> None:
    us, eu = render.foods(bank), render.foods(bank, region="eu")
    assert "% DV)" in us and "% NRV)" not in us
    assert "% NRV)" in eu and "% DV)" not in eu
    richest = max(bank.foods.items, key=lambda f: f.mg)
    assert f"({round(richest.mg / 375 * 100)}% NRV)" in eu
    assert eu.index("%NRV instead, based on 375 mg") < eu.index("US Daily Value of 420 mg")
    assert render.foods(bank, region="uk") == us  # UK labels' value is not in the bank
