"""The one place that turns bank content into Telegram HTML.

Every dynamic string passes through `esc` here and nowhere else builds markup from data, so an
ampersand in a food name or a `<` typed by a user can never make Telegram reject a message.
Output longer than Telegram's 4096-character limit is split at paragraph boundaries.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from tipbot import messages
from tipbot.content.intake import IntakeAnswer
from tipbot.content.lookup import LookupResult
from tipbot.content.models import (
    Bank,
    EvidenceLevel,
    Food,
    FoodGroup,
    Form,
    InteractionClass,
    LifeStage,
    RdaRow,
    ReferenceMeasure,
    ReferenceValue,
    Sex,
    Source,
    Tip,
)
from tipbot.i18n import ENGLISH, N_, Translator
from tipbot.telegram_html import MAX_MESSAGE_LENGTH, visible_length

#: English message ids; shown through the reader's Translator (`t.gettext`).
EVIDENCE_WORDS: dict[EvidenceLevel, str] = {
    EvidenceLevel.REFERENCE_VALUE: N_("official reference value or guideline"),
    EvidenceLevel.DRUG_LABEL: N_("official medicine label"),
    EvidenceLevel.META_ANALYSIS: N_("pooled analysis of many studies"),
    EvidenceLevel.RANDOMISED_TRIAL: N_("randomised trial"),
    EvidenceLevel.COHORT_STUDY: N_(
        "study that followed people over time (shows a link, not a cause)"
    ),
    EvidenceLevel.CROSS_SECTIONAL_STUDY: N_(
        "one-time survey of people (shows a link, not a cause)"
    ),
    EvidenceLevel.NARRATIVE_REVIEW: N_("expert review of earlier studies"),
    EvidenceLevel.LAB_OR_ANIMAL_STUDY: N_("lab or animal study (may not apply to people)"),
}

FOOD_GROUP_NAMES: dict[FoodGroup, str] = {
    FoodGroup.NUTS_SEEDS: N_("Nuts and seeds"),
    FoodGroup.LEGUMES_SOY: N_("Legumes and soy"),
    FoodGroup.GREENS_VEGETABLES: N_("Leafy greens and vegetables"),
    FoodGroup.WHOLE_GRAINS: N_("Whole grains"),
    FoodGroup.OTHER: N_("Other foods"),
}


#: The most a reply shows on its first screen, in characters as the reader sees them: about a
#: phone screen and a half at a large font. Longer answers page ("More"), and their sources move
#: behind a "Sources" button (`tipbot.content.screens`).
FIRST_SCREEN = 1500


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def link(url: str, label: str) -> str:
    return f'<a href="{esc(url)}">{esc(label)}</a>'


def split_paragraphs(
    paragraphs: Iterable[str], limit: int = MAX_MESSAGE_LENGTH, *, visible: int | None = None
) -> list[str]:
    """Pack whole paragraphs (then whole lines) into messages of at most `limit` characters
    of HTML and, with `visible`, at most that many characters as the reader sees them (a
    phone-sized screen, `FIRST_SCREEN`).

    Paragraphs are self-contained HTML (no tag spans a line break), so any cut between them is
    safe; a paragraph too long on its own is cut between its lines.
    """

    def fits(text: str) -> bool:
        return len(text) <= limit and (visible is None or visible_length(text) <= visible)

    pieces: list[tuple[str, str]] = []  # (separator before it, text)
    for paragraph in paragraphs:
        if fits(paragraph):
            pieces.append(("\n\n", paragraph))
            continue
        for n, line in enumerate(paragraph.split("\n")):
            if not fits(line):
                raise ValueError(f"one line is {len(line)} characters, over {visible or limit}")
            pieces.append(("\n\n" if n == 0 else "\n", line))
    out: list[str] = []
    current = ""
    for sep, text in pieces:
        candidate = f"{current}{sep}{text}" if current else text
        if fits(candidate):
            current = candidate
        else:
            out.append(current)
            current = text
    if current:
        out.append(current)
    return out


def source_label(source: Source) -> str:
    origin = source.journal or source.publisher or source.authors or ""
    year = f", {source.year}" if source.year else ""
    return f"{source.title} ({origin}{year})"


def sources_block(bank: Bank, source_ids: Sequence[str], t: Translator = ENGLISH) -> str:
    """The "Sources" heading and the numbered citations (titles stay in their own language)."""
    heading = t.gettext("Sources")
    return f"<b>{esc(heading)}</b>\n{citations(bank, source_ids)}"


def citations(bank: Bank, source_ids: Sequence[str]) -> str:
    index = bank.source_index
    items = [
        f"{n}. {link(index[sid].url, source_label(index[sid]))}"
        for n, sid in enumerate(source_ids, start=1)
    ]
    return "\n".join(items)


def tip(bank: Bank, item: Tip, t: Translator = ENGLISH, caution: str | None = None) -> str:
    """One tip; pass the tip already in the reader's language (`Translations.tip`). `caution`
    (the bank's kidney caution, for a profile that asks for it) follows the text, and its sources
    are cited with the tip's own."""
    sources = list(item.sources)
    body = [f"💡 <b>{esc(item.title)}</b>", esc(item.text)]
    if caution is not None:
        body.append(f"⚠️ {esc(caution)}")
        sources += [s for s in bank.interactions.kidney_caution_sources if s not in sources]
    evidence = t.gettext("Evidence: {evidence}").format(
        evidence=t.gettext(EVIDENCE_WORDS[item.evidence])
    )
    return "\n\n".join([*body, f"<i>{esc(evidence)}</i>\n{sources_block(bank, sources, t)}"])


#: The first /foods screen shows this many foods, the richest per serving (phone-sized).
TOP_FOODS = 10


def foods_parts(
    bank: Bank,
    group: FoodGroup | None = None,
    t: Translator = ENGLISH,
    region: str | None = None,
) -> tuple[list[str], list[str]]:
    """One short screen: the richest foods overall, or every food of one group, and the ids of
    its sources. With the EU region (the profile's choice) the shares are %NRV, the EU labels'
    measure; otherwise %DV."""
    items = sorted(
        (f for f in bank.foods.items if group is None or f.group is group), key=lambda f: -f.mg
    )
    if group is None:
        shown = min(TOP_FOODS, len(items))
        title = t.ngettext(messages.FOODS_TOP_HEADER, shown).format(count=shown)
        items = items[:TOP_FOODS]
    else:
        title = f"{t.gettext(messages.FOODS_HEADER)} · {esc(t.gettext(FOOD_GROUP_NAMES[group]))}"
    nrv = _nrv_first(bank, region)
    footer, cited = _foods_footer(bank, items, t, nrv)
    return [title, _food_lines(items, t, nrv), footer], cited


def foods(
    bank: Bank,
    group: FoodGroup | None = None,
    t: Translator = ENGLISH,
    region: str | None = None,
) -> str:
    """`foods_parts` as one message with its sources."""
    paragraphs, cited = foods_parts(bank, group, t, region)
    return "\n\n".join([*paragraphs, sources_block(bank, cited, t)])


def foods_all_parts(
    bank: Bank, t: Translator = ENGLISH, region: str | None = None
) -> tuple[list[str], list[str]]:
    """Every food, richest first (to be paged), and the sources of them all."""
    items = sorted(bank.foods.items, key=lambda f: -f.mg)
    nrv = _nrv_first(bank, region)
    footer, cited = _foods_footer(bank, items, t, nrv)
    return [t.gettext(messages.FOODS_HEADER), _food_lines(items, t, nrv), footer], cited


def foods_all(bank: Bank, t: Translator = ENGLISH, region: str | None = None) -> list[str]:
    """Every food, richest first, over as many messages as it takes."""
    paragraphs, cited = foods_all_parts(bank, t, region)
    return split_paragraphs([*paragraphs, sources_block(bank, cited, t)])


def _nrv_first(bank: Bank, region: str | None) -> ReferenceValue | None:
    """The EU label reference when the reader chose EU values (None: show the US %DV)."""
    nrv = _label_reference(bank)
    return nrv if nrv is not None and region == nrv.region else None


def _food_lines(
    items: list[Food], t: Translator = ENGLISH, nrv: ReferenceValue | None = None
) -> str:
    dv = t.gettext("{pct}% DV")
    # Translators: the share of the EU labels' Nutrient Reference Value (375 mg) one serving
    # gives, as in "42% NRV"; use the term your language's EU labels and the /foods footer use.
    nrv_share = t.gettext("{pct}% NRV")

    def share(f: Food) -> str:
        if nrv is None:
            return dv.format(pct=f.pct_dv)
        return nrv_share.format(pct=round(f.mg / nrv.mg_for(Sex.FEMALE) * 100))

    return "\n".join(
        f"• {esc(f.name)}, {esc(f.serving)}: <b>{_mg(f.mg, t)} mg</b> ({esc(share(f))})"
        + (f"\n  <i>{esc(f.note)}</i>" if f.note else "")
        for f in items
    )


def _foods_footer(
    bank: Bank, items: list[Food], t: Translator = ENGLISH, nrv_first: ReferenceValue | None = None
) -> tuple[str, list[str]]:
    """The reference values explained (the reader's region's first), and the sources of exactly
    the foods shown."""
    table = bank.foods
    sources = sorted({f.source for f in items} | {table.daily_value_source})
    nrv = nrv_first or _label_reference(bank)
    dv = esc(t.gettext(messages.FOODS_FOOTER).format(dv=table.daily_value_mg))
    if nrv is None:
        return dv, sources
    sources.append(nrv.source)
    nrv_text = esc(t.gettext(messages.FOODS_FOOTER_NRV).format(nrv=nrv.mg_for(Sex.FEMALE)))
    footer = f"{nrv_text} {dv}" if nrv_first is not None else f"{dv} {nrv_text}"
    return footer, sources


def _mg(value: float, t: Translator = ENGLISH) -> str:
    """A figure from the bank (mg, a percentage) with the reader's decimal separator: "60.3"
    reads "60,3" in Spanish, German and Russian; the digits stay the bank's."""
    return t.format_number(value)


def _label_reference(bank: Bank) -> ReferenceValue | None:
    """The EU label reference (%NRV), shown beside the US Daily Value: neither is universal."""
    values = bank.intakes.other_values
    return next((v for v in values if v.measure is ReferenceMeasure.LABEL_REFERENCE), None)


# Field labels shown in italics before bank text (marked here; translated in `_label`).
ABSORPTION = N_("Absorption:")
USES = N_("Uses and side effects:")
INCLUDES = N_("Includes:")
WHY = N_("Why it matters:")
TIMING = N_("Timing:")
DISAGREE = N_("Where sources differ:")
OTHER_VALUES = N_("European and UK reference values")
UPPER_LIMIT_NOTE = N_("Upper limit: {note}")
#: The short name of a US/Canada value after its amount ("320 mg a day (RDA)"), by the bank's
#: `kind`; each language uses the term its own rda note defines (Spanish "CDR").
RDA_KINDS: dict[str, str] = {
    # Translators: Recommended Dietary Allowance, the US/Canada intake that covers nearly everyone.
    "RDA": N_("RDA"),
    # Translators: Adequate Intake, the US/Canada value set where there is too little data for an
    # RDA (babies). Spell it out if your language has no well-known short form.
    "AI": N_("AI"),
}


def _label(t: Translator, english: str) -> str:
    """An italic field label such as "Absorption:" in the reader's language."""
    return f"<i>{esc(t.gettext(english))}</i>"


def _forms_cited(bank: Bank, forms: Sequence[Form]) -> list[str]:
    """The forms' own sources, then those of the kidney warning shown with them."""
    cited = list(dict.fromkeys(s for form in forms for s in form.sources))
    return cited + [s for s in bank.interactions.kidney_caution_sources if s not in cited]


def form_short_name(form: Form) -> str:
    """ "Magnesium citrate" reads "Citrate" in a list of forms: every one is magnesium."""
    short = form.name.removeprefix("Magnesium ").strip()
    return short[:1].upper() + short[1:] if short else form.name


def forms_overview_parts(bank: Bank, t: Translator = ENGLISH) -> tuple[list[str], list[str]]:
    """/forms: one line per form (name, % elemental magnesium, the evidence in a few words);
    each form's button opens `form_parts`, which has the full kidney warning. Every form is
    risky with weak kidneys, not only the laxatives, so the overview carries it in short."""
    lines = [
        f"• <b>{esc(form_short_name(form))}</b>: {_mg(form.elemental_percent, t)}% · "
        f"{esc(form.in_brief)}"
        for form in bank.forms
    ]
    paragraphs = [  # the warning before the list, so it is on the first screen in any language
        f"{t.gettext(messages.FORMS_HEADER)}\n{esc(t.gettext(messages.FORMS_PICK))}",
        f"⚠️ {esc(t.gettext(messages.FORMS_KIDNEY))}",
        "\n".join(lines),
        t.gettext(messages.FORMS_FOOTER),
    ]
    return paragraphs, _forms_cited(bank, bank.forms)


def form_parts(bank: Bank, form: Form, t: Translator = ENGLISH) -> tuple[list[str], list[str]]:
    """One form's details, and the ids of its sources."""
    share = t.gettext("about {percent}% elemental magnesium")
    note = f" ({esc(form.elemental_note)})" if form.elemental_note else ""
    paragraphs = [
        f"💊 <b>{esc(form.name)}</b>: {esc(share.format(percent=_mg(form.elemental_percent, t)))}"
        f"{note}",
        f"{_label(t, ABSORPTION)} {esc(form.absorption)}",
        f"{_label(t, USES)} {esc(form.uses_side_effects)}",
        f"⚠️ {esc(bank.interactions.kidney_caution)}",
    ]
    return paragraphs, _forms_cited(bank, [form])


def medicine_names(cls: InteractionClass) -> str:
    parts = []
    for medicine in cls.medicines:
        brands = f" ({', '.join(medicine.brands)})" if medicine.brands else ""
        parts.append(f"{medicine.generic}{brands}")
    return "; ".join(parts)


def interactions_overview_parts(bank: Bank, t: Translator = ENGLISH) -> tuple[list[str], list[str]]:
    """The general advice, the warning and one line per class (name and medicines); each
    class's timing opens on its button (`interaction_parts`)."""
    table = bank.interactions
    classes = "\n".join(
        f"• <b>{esc(cls.name)}</b>: <i>{esc(medicine_names(cls))}</i>" for cls in table.classes
    )
    paragraphs = [
        t.gettext(messages.INTERACTIONS_HEADER),
        esc(table.general),
        f"⚠️ {esc(table.kidney_caution)}",
        t.gettext(messages.INTERACTIONS_FOOTER),
        classes,
    ]
    cited = list(dict.fromkeys(table.sources))
    cited += [s for s in table.kidney_caution_sources if s not in cited]
    return paragraphs, cited


def interactions_overview(bank: Bank, t: Translator = ENGLISH) -> list[str]:
    """`interactions_overview_parts` as messages with the sources at the end."""
    paragraphs, cited = interactions_overview_parts(bank, t)
    return split_paragraphs([*paragraphs, sources_block(bank, cited, t)])


def interaction(
    bank: Bank, cls: InteractionClass, asked: str | None = None, t: Translator = ENGLISH
) -> list[str]:
    """One class as messages with its sources at the end."""
    paragraphs, cited = interaction_parts(bank, cls, asked, t)
    return split_paragraphs([*paragraphs, sources_block(bank, cited, t)])


def interaction_parts(
    bank: Bank, cls: InteractionClass, asked: str | None = None, t: Translator = ENGLISH
) -> tuple[list[str], list[str]]:
    """One class: what it includes, why it matters, the timing; and its sources' ids."""
    table = bank.interactions
    head = f"<b>{esc(cls.name)}</b>"
    if asked:
        head = t.gettext("{medicine} belongs to: {group}").format(
            medicine=f"<b>{esc(asked)}</b>", group=head
        )
    paragraphs = [
        head,
        f"{_label(t, INCLUDES)} {esc(medicine_names(cls))}",
        f"{_label(t, WHY)} {esc(cls.mechanism)}",
        f"{_label(t, TIMING)} {esc(cls.advice)}",
    ]
    if cls.sources_disagree:
        paragraphs.append(f"{_label(t, DISAGREE)} {esc(cls.sources_disagree)}")
    paragraphs.append(f"⚠️ {esc(table.kidney_caution)}")
    paragraphs.append(t.gettext(messages.INTERACTION_NEVER_SAFE))
    cited = list(cls.sources)
    cited += [s for s in table.kidney_caution_sources if s not in cited]
    return paragraphs, cited


def interaction_lookup(
    bank: Bank, query: str, result: LookupResult, t: Translator = ENGLISH
) -> list[str]:
    if result.matches:
        pages: list[str] = []
        for match in result.matches:
            asked = match.name if match.name.casefold() != match.generic.casefold() else None
            label = f"{match.name} ({match.generic})" if asked else match.name
            pages += interaction(bank, match.interaction, asked=label, t=t)
        return pages
    paragraphs = [t.gettext(messages.INTERACTION_NOT_FOUND).format(name=esc(query[:60]))]
    if result.suggestions:
        names = ", ".join(esc(s) for s in result.suggestions)
        paragraphs.append(t.gettext(messages.INTERACTION_SUGGEST).format(names=names))
    paragraphs.append(esc(t.gettext(messages.INTERACTION_NO_ENTRY_ADVICE)))
    return split_paragraphs(paragraphs)


def sources(bank: Bank, t: Translator = ENGLISH, visible: int | None = None) -> list[str]:
    """Every source in the bank, by title, over as many messages (or, with `visible`, screens)
    as it takes."""
    lines = []
    for source in sorted(bank.sources, key=lambda s: s.title.casefold()):
        extra = []
        if source.pmid:
            extra.append(f"PMID {esc(source.pmid)}")
        if source.doi:
            extra.append(f"doi:{esc(source.doi)}")
        suffix = f" · {' · '.join(extra)}" if extra else ""
        lines.append(f"• {link(source.url, source_label(source))}{suffix}")
    return split_paragraphs([t.gettext(messages.SOURCES_HEADER), *lines], visible=visible)


def intake(
    bank: Bank,
    result: IntakeAnswer,
    t: Translator = ENGLISH,
    region: str | None = None,
    profile_who: str | None = None,
) -> str:
    """`intake_parts` as one message with its sources."""
    paragraphs, cited = intake_parts(bank, result, t, region, profile_who)
    return "\n\n".join([*paragraphs, sources_block(bank, cited, t)])


def intake_parts(
    bank: Bank,
    result: IntakeAnswer,
    t: Translator = ENGLISH,
    region: str | None = None,
    profile_who: str | None = None,
) -> tuple[list[str], list[str]]:
    """The reference values for one person. With region `eu` or `uk` (the profile's choice) that
    region's values come first; every set stays shown, each named, since none is universal.
    `profile_who` ("woman, 31-50") heads an answer from the profile, which holds an age band,
    not an age."""
    table = bank.intakes
    person = result.person
    if profile_who is not None:
        head = t.gettext(FOR_YOU).format(who=profile_who)
    else:
        who = t.gettext(_who(person.age, person.sex, person.stage)).format(age=person.age)
        article = "an" if _starts_with_vowel_sound(person.age) and person.age != 0 else "a"
        head = t.gettext(_HEADINGS[article]).format(who=who)
    region_line = t.gettext("{region} reference values").format(region=table.region)
    lines = [f"<i>{esc(region_line)}</i>"]
    per_day = t.gettext("{group}: {amount} a day ({kind})")
    for row in result.rda_rows:
        amount = f"<b>{esc(_rda_mg(result, row, t))}</b>"
        kind = t.gettext(RDA_KINDS[row.kind])
        line = per_day.format(group=esc(row.group), amount=amount, kind=esc(kind))
        lines.append(f"• {line}")
    if result.ul.ul_mg is not None:
        limit = t.gettext("Upper limit from supplements and medicines: {amount} a day")
        lines.append(f"• {limit.format(amount=f'<b>{result.ul.ul_mg} mg</b>')}")
    else:
        note = result.ul.note or t.gettext("not set")
        lines.append(f"• {esc(t.gettext(UPPER_LIMIT_NOTE).format(note=note))}")
    others = _other_values(bank, result)
    own = [v for v in others if region is not None and v.region == region]
    rest = [v for v in others if v not in own]
    cited = list(dict.fromkeys(table.rda_sources + table.ul_sources + [v.source for v in others]))
    blocks = ["\n".join(lines)]
    if rest:
        blocks.append(_other_values_block(rest, person.sex, t, OTHER_VALUES))
    if own:
        heading = _REGION_HEADINGS[own[0].region]
        blocks.insert(0, _other_values_block(own, person.sex, t, heading))
    blocks[0] = f"<b>{esc(head)}</b>\n{blocks[0]}"
    paragraphs = [
        *blocks,
        esc(table.rda_note),
        esc(table.ul_note),
        t.gettext(
            "<i>These are population reference values, not a personal dose. Ask your doctor or "
            "pharmacist what is right for you.</i>"
        ),
    ]
    return paragraphs, cited


def _who(age: int, sex: Sex, stage: LifeStage) -> str:
    """The English message id naming the person ({age} filled in after translation)."""
    if age == 0:
        if sex is Sex.FEMALE:
            return N_("baby under 1 year (female)")
        return N_("baby under 1 year (male)")
    if stage is LifeStage.PREGNANCY:
        return N_("{age}-year-old, pregnancy")
    if stage is LifeStage.LACTATION:
        return N_("{age}-year-old, lactation")
    if age >= 18:
        return N_("{age}-year-old woman") if sex is Sex.FEMALE else N_("{age}-year-old man")
    return N_("{age}-year-old girl") if sex is Sex.FEMALE else N_("{age}-year-old boy")


#: The heading by English article ("an 80-year-old"); other languages translate both alike.
_HEADINGS = {"a": N_("Magnesium for a {who}"), "an": N_("Magnesium for an {who}")}
#: The heading of an answer from the profile, which holds an age band rather than an age.
FOR_YOU = N_("Magnesium for you ({who})")
#: The profile's region's values come first, under their own heading.
_REGION_HEADINGS = {"eu": N_("EU reference values"), "uk": N_("UK reference values")}


def _other_values(bank: Bank, result: IntakeAnswer) -> list[ReferenceValue]:
    age = result.person.age
    if result.person.stage is not LifeStage.GENERAL and age < 18:
        return []
    return [v for v in bank.intakes.other_values if v.age_min <= age <= v.age_max]


_OTHER_VALUE_LINES = {
    ReferenceMeasure.INTAKE: N_("{name}: {amount} a day"),
    ReferenceMeasure.SUPPLEMENT_LIMIT: N_("{name}: {amount} a day from supplements"),
    ReferenceMeasure.LABEL_REFERENCE: "{name}: {amount}",
}


def _other_values_block(
    values: list[ReferenceValue], sex: Sex, t: Translator = ENGLISH, heading: str = OTHER_VALUES
) -> str:
    lines = [f"<i>{esc(t.gettext(heading))}</i>"]
    for value in values:
        note = f" ({esc(value.note)})" if value.note else ""
        line = t.gettext(_OTHER_VALUE_LINES[value.measure])
        amount = f"<b>{value.mg_for(sex)} mg</b>"
        lines.append(f"• {line.format(name=esc(value.name), amount=amount)}{note}")
    return "\n".join(lines)


def _starts_with_vowel_sound(age: int) -> bool:
    """ "an 8-year-old", "an 11-year-old", "an 18-year-old", "an 80-year-old"; "a 67-year-old"."""
    return str(age).startswith("8") or age in (11, 18)


def _rda_mg(result: IntakeAnswer, row: RdaRow, t: Translator = ENGLISH) -> str:
    value = result.rda_mg(row)
    if value is None:
        other = row.female if result.person.sex is Sex.MALE else row.male
        return f"{other} mg" if other is not None else t.gettext("no value")
    return f"{value} mg"


def help_text(t: Translator = ENGLISH) -> str:
    lines = [t.gettext(messages.HELP_HEADER)]
    lines += [f"/{c.name} — {esc(t.gettext(c.description))}" for c in messages.COMMANDS]
    return "\n".join(lines) + "\n\n" + t.gettext(messages.HELP_FOOTER)


def welcome(first_name: str | None, t: Translator = ENGLISH) -> str:
    name = f", {esc(first_name[:64])}" if first_name else ""
    return t.gettext(messages.WELCOME).format(name=name)
