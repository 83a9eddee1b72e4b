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
    InteractionClass,
    LifeStage,
    RdaRow,
    ReferenceMeasure,
    ReferenceValue,
    Sex,
    Source,
    Tip,
)
from tipbot.telegram_html import MAX_MESSAGE_LENGTH

EVIDENCE_WORDS: dict[EvidenceLevel, str] = {
    EvidenceLevel.REFERENCE_VALUE: "official reference value or guideline",
    EvidenceLevel.DRUG_LABEL: "official medicine label",
    EvidenceLevel.META_ANALYSIS: "pooled analysis of many studies",
    EvidenceLevel.RANDOMISED_TRIAL: "randomised trial",
    EvidenceLevel.COHORT_STUDY: "study that followed people over time (shows a link, not a cause)",
    EvidenceLevel.CROSS_SECTIONAL_STUDY: "one-time survey of people (shows a link, not a cause)",
    EvidenceLevel.NARRATIVE_REVIEW: "expert review of earlier studies",
    EvidenceLevel.LAB_OR_ANIMAL_STUDY: "lab or animal study (may not apply to people)",
}

FOOD_GROUP_NAMES: dict[FoodGroup, str] = {
    FoodGroup.NUTS_SEEDS: "Nuts and seeds",
    FoodGroup.LEGUMES_SOY: "Legumes and soy",
    FoodGroup.GREENS_VEGETABLES: "Leafy greens and vegetables",
    FoodGroup.WHOLE_GRAINS: "Whole grains",
    FoodGroup.OTHER: "Other foods",
}


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def link(url: str, label: str) -> str:
    return f'<a href="{esc(url)}">{esc(label)}</a>'


def split_paragraphs(paragraphs: Iterable[str], limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Pack whole paragraphs (then whole lines) into messages of at most `limit` characters.

    Paragraphs are self-contained HTML (no tag spans a line break), so any cut between them is
    safe; a paragraph too long on its own is cut between its lines.
    """
    pieces: list[tuple[str, str]] = []  # (separator before it, text)
    for paragraph in paragraphs:
        if len(paragraph) <= limit:
            pieces.append(("\n\n", paragraph))
            continue
        for n, line in enumerate(paragraph.split("\n")):
            if len(line) > limit:
                raise ValueError(f"one line is {len(line)} characters, over {limit}")
            pieces.append(("\n\n" if n == 0 else "\n", line))
    out: list[str] = []
    current = ""
    for sep, text in pieces:
        candidate = f"{current}{sep}{text}" if current else text
        if len(candidate) <= limit:
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


def citations(bank: Bank, source_ids: Sequence[str]) -> str:
    index = bank.source_index
    items = [
        f"{n}. {link(index[sid].url, source_label(index[sid]))}"
        for n, sid in enumerate(source_ids, start=1)
    ]
    return "\n".join(items)


def tip(bank: Bank, item: Tip, caution: str | None = None) -> str:
    """A tip with its evidence and sources; `caution` (the bank's kidney caution, for a profile
    that asks for it) follows the text and its sources are cited with the tip's own."""
    sources = list(item.sources)
    body = [f"💡 <b>{esc(item.title)}</b>", esc(item.text)]
    if caution is not None:
        body.append(f"⚠️ {esc(caution)}")
        sources += [s for s in bank.interactions.kidney_caution_sources if s not in sources]
    return "\n\n".join(
        [
            *body,
            f"<i>Evidence: {esc(EVIDENCE_WORDS[item.evidence])}</i>\n"
            f"<b>Sources</b>\n{citations(bank, sources)}",
        ]
    )


#: The first /foods screen shows this many foods, the richest per serving (phone-sized).
TOP_FOODS = 10


def foods(bank: Bank, group: FoodGroup | None = None, region: str | None = None) -> str:
    """One short screen: the richest foods overall, or every food of one group. With the EU
    region the shares are %NRV, the EU labels' measure; otherwise the US %DV."""
    items = sorted(
        (f for f in bank.foods.items if group is None or f.group is group), key=lambda f: -f.mg
    )
    if group is None:
        title = messages.FOODS_TOP_HEADER.format(count=TOP_FOODS)
        items = items[:TOP_FOODS]
    else:
        title = f"{messages.FOODS_HEADER} · {esc(FOOD_GROUP_NAMES[group])}"
    nrv = _nrv_first(bank, region)
    return "\n\n".join([title, _food_lines(items, nrv), *_foods_footer(bank, items, nrv)])


def foods_all(bank: Bank, region: str | None = None) -> list[str]:
    """Every food, richest first, over as many messages as it takes."""
    items = sorted(bank.foods.items, key=lambda f: -f.mg)
    nrv = _nrv_first(bank, region)
    return split_paragraphs(
        [messages.FOODS_HEADER, _food_lines(items, nrv), *_foods_footer(bank, items, nrv)]
    )


def _nrv_first(bank: Bank, region: str | None) -> ReferenceValue | None:
    """The EU label reference when the reader chose EU values (None: show the US %DV)."""
    nrv = _label_reference(bank)
    return nrv if nrv is not None and region == nrv.region else None


def _food_lines(items: list[Food], nrv: ReferenceValue | None = None) -> str:
    def share(f: Food) -> str:
        if nrv is None:
            return f"{f.pct_dv}% DV"
        return f"{round(f.mg / nrv.mg_for(Sex.FEMALE) * 100)}% NRV"

    return "\n".join(
        f"• {esc(f.name)}, {esc(f.serving)}: <b>{_mg(f.mg)} mg</b> ({share(f)})"
        + (f"\n  <i>{esc(f.note)}</i>" if f.note else "")
        for f in items
    )


def _foods_footer(bank: Bank, items: list[Food], nrv_first: ReferenceValue | None) -> list[str]:
    """The reference values explained, and the sources of exactly the foods shown."""
    table = bank.foods
    sources = sorted({f.source for f in items} | {table.daily_value_source})
    nrv = nrv_first or _label_reference(bank)
    dv = esc(messages.FOODS_FOOTER.format(dv=table.daily_value_mg))
    if nrv is None:
        return [dv, f"<b>Sources</b>\n{citations(bank, sources)}"]
    sources.append(nrv.source)
    nrv_text = esc(messages.FOODS_FOOTER_NRV.format(nrv=nrv.mg_for(Sex.FEMALE)))
    footer = f"{nrv_text} {dv}" if nrv_first is not None else f"{dv} {nrv_text}"
    return [footer, f"<b>Sources</b>\n{citations(bank, sources)}"]


def _mg(value: float) -> str:
    return f"{value:g}"


def _label_reference(bank: Bank) -> ReferenceValue | None:
    """The EU label reference (%NRV), shown beside the US Daily Value: neither is universal."""
    values = bank.intakes.other_values
    return next((v for v in values if v.measure is ReferenceMeasure.LABEL_REFERENCE), None)


def forms(bank: Bank) -> list[str]:
    paragraphs = [messages.FORMS_HEADER]
    for form in bank.forms:
        note = f" ({esc(form.elemental_note)})" if form.elemental_note else ""
        paragraphs.append(
            f"<b>{esc(form.name)}</b>: about {_mg(form.elemental_percent)}% elemental "
            f"magnesium{note}\n"
            f"<i>Absorption:</i> {esc(form.absorption)}\n"
            f"<i>Uses and side effects:</i> {esc(form.uses_side_effects)}"
        )
    # Every form is risky with weak kidneys, not only the laxatives, so /forms carries the warning.
    paragraphs.append(f"⚠️ {esc(bank.interactions.kidney_caution)}")
    paragraphs.append(messages.FORMS_FOOTER)
    cited = list(dict.fromkeys(s for form in bank.forms for s in form.sources))
    cited += [s for s in bank.interactions.kidney_caution_sources if s not in cited]
    paragraphs.append(f"<b>Sources</b>\n{citations(bank, cited)}")
    return split_paragraphs(paragraphs)


def medicine_names(cls: InteractionClass) -> str:
    parts = []
    for medicine in cls.medicines:
        brands = f" ({', '.join(medicine.brands)})" if medicine.brands else ""
        parts.append(f"{medicine.generic}{brands}")
    return "; ".join(parts)


def interactions_overview(bank: Bank) -> list[str]:
    table = bank.interactions
    paragraphs = [messages.INTERACTIONS_HEADER, esc(table.general)]
    for cls in table.classes:
        paragraphs.append(
            f"<b>{esc(cls.name)}</b>\n<i>{esc(medicine_names(cls))}</i>\n{esc(cls.advice)}"
        )
    paragraphs.append(f"⚠️ {esc(table.kidney_caution)}")
    paragraphs.append(messages.INTERACTIONS_FOOTER)
    return split_paragraphs(paragraphs)


def interaction(bank: Bank, cls: InteractionClass, asked: str | None = None) -> list[str]:
    table = bank.interactions
    head = f"<b>{esc(cls.name)}</b>"
    if asked:
        head = f"<b>{esc(asked)}</b> belongs to: {head}"
    paragraphs = [
        head,
        f"<i>Includes:</i> {esc(medicine_names(cls))}",
        f"<i>Why it matters:</i> {esc(cls.mechanism)}",
        f"<i>Timing:</i> {esc(cls.advice)}",
    ]
    if cls.sources_disagree:
        paragraphs.append(f"<i>Where sources differ:</i> {esc(cls.sources_disagree)}")
    paragraphs.append(f"⚠️ {esc(table.kidney_caution)}")
    paragraphs.append(messages.INTERACTION_NEVER_SAFE)
    paragraphs.append(f"<b>Sources</b>\n{citations(bank, cls.sources)}")
    return split_paragraphs(paragraphs)


def interaction_lookup(bank: Bank, query: str, result: LookupResult) -> list[str]:
    if result.matches:
        pages: list[str] = []
        for match in result.matches:
            asked = match.name if match.name.casefold() != match.generic.casefold() else None
            label = f"{match.name} ({match.generic})" if asked else match.name
            pages += interaction(bank, match.interaction, asked=label)
        return pages
    paragraphs = [messages.INTERACTION_NOT_FOUND.format(name=esc(query[:60]))]
    if result.suggestions:
        names = ", ".join(esc(s) for s in result.suggestions)
        paragraphs.append(messages.INTERACTION_SUGGEST.format(names=names))
    paragraphs.append(esc(messages.INTERACTION_NO_ENTRY_ADVICE))
    return split_paragraphs(paragraphs)


def sources(bank: Bank) -> list[str]:
    lines = []
    for source in sorted(bank.sources, key=lambda s: s.title.casefold()):
        extra = []
        if source.pmid:
            extra.append(f"PMID {esc(source.pmid)}")
        if source.doi:
            extra.append(f"doi:{esc(source.doi)}")
        suffix = f" · {' · '.join(extra)}" if extra else ""
        lines.append(f"• {link(source.url, source_label(source))}{suffix}")
    return split_paragraphs([messages.SOURCES_HEADER, *lines])


def intake(
    bank: Bank, result: IntakeAnswer, region: str | None = None, profile_who: str | None = None
) -> str:
    """The reference values for one person. With region `eu` or `uk` (the profile's choice) that
    region's values come first; every set stays shown, each named, since none is universal.
    `profile_who` ("woman, 31-50") heads an answer from the profile, which holds an age band,
    not an age."""
    table = bank.intakes
    person = result.person
    who = f"{person.age}-year-old {_person_word(person.age, person.sex)}"
    if person.stage is not LifeStage.GENERAL:
        who = f"{person.age}-year-old, {person.stage.value}"
    if person.age == 0:
        who = f"baby under 1 year ({person.sex.value})"
    article = "an" if _starts_with_vowel_sound(person.age) and person.age != 0 else "a"
    title = f"<b>Magnesium for {article} {esc(who)}</b>"
    if profile_who is not None:
        title = f"<b>Magnesium for you ({esc(profile_who)})</b>"
    lines = [f"<i>{esc(table.region)} reference values</i>"]
    for row in result.rda_rows:
        lines.append(f"• {esc(row.group)}: <b>{_rda_mg(result, row)}</b> a day ({esc(row.kind)})")
    if result.ul.ul_mg is not None:
        lines.append(
            f"• Upper limit from supplements and medicines: <b>{result.ul.ul_mg} mg</b> a day"
        )
    else:
        lines.append(f"• Upper limit: {esc(result.ul.note or 'not set')}")
    others = _other_values(bank, result)
    own = [v for v in others if region is not None and v.region == region]
    rest = [v for v in others if v not in own]
    cited = list(dict.fromkeys(table.rda_sources + table.ul_sources + [v.source for v in others]))
    blocks = ["\n".join(lines)]
    if rest:
        blocks.append(_other_values_block(rest, person.sex, _OTHERS_HEADING))
    if own:
        blocks.insert(0, _other_values_block(own, person.sex, _REGION_HEADINGS[own[0].region]))
    blocks[0] = f"{title}\n{blocks[0]}"
    paragraphs = [
        *blocks,
        esc(table.rda_note),
        esc(table.ul_note),
        "<i>These are population reference values, not a personal dose. Ask your doctor or "
        "pharmacist what is right for you.</i>",
        f"<b>Sources</b>\n{citations(bank, cited)}",
    ]
    return "\n\n".join(paragraphs)


_OTHERS_HEADING = "European and UK reference values"
_REGION_HEADINGS = {"eu": "EU reference values", "uk": "UK reference values"}


def _other_values(bank: Bank, result: IntakeAnswer) -> list[ReferenceValue]:
    age = result.person.age
    if result.person.stage is not LifeStage.GENERAL and age < 18:
        return []
    return [v for v in bank.intakes.other_values if v.age_min <= age <= v.age_max]


def _other_values_block(values: list[ReferenceValue], sex: Sex, heading: str) -> str:
    suffix = {
        ReferenceMeasure.INTAKE: " a day",
        ReferenceMeasure.SUPPLEMENT_LIMIT: " a day from supplements",
        ReferenceMeasure.LABEL_REFERENCE: "",
    }
    lines = [f"<i>{heading}</i>"]
    for value in values:
        note = f" ({esc(value.note)})" if value.note else ""
        lines.append(
            f"• {esc(value.name)}: <b>{value.mg_for(sex)} mg</b>{suffix[value.measure]}{note}"
        )
    return "\n".join(lines)


def _starts_with_vowel_sound(age: int) -> bool:
    """ "an 8-year-old", "an 11-year-old", "an 18-year-old", "an 80-year-old"; "a 67-year-old"."""
    return str(age).startswith("8") or age in (11, 18)


def _person_word(age: int, sex: Sex) -> str:
    if age >= 18:
        return "woman" if sex is Sex.FEMALE else "man"
    return "girl" if sex is Sex.FEMALE else "boy"


def _rda_mg(result: IntakeAnswer, row: RdaRow) -> str:
    value = result.rda_mg(row)
    if value is None:
        other = row.female if result.person.sex is Sex.MALE else row.male
        return f"{other} mg" if other is not None else "no value"
    return f"{value} mg"


def help_text() -> str:
    lines = [messages.HELP_HEADER]
    lines += [f"/{c.name} — {esc(c.description)}" for c in messages.COMMANDS]
    return "\n".join(lines) + "\n\n" + messages.HELP_FOOTER


def welcome(first_name: str | None) -> str:
    name = f", {esc(first_name[:64])}" if first_name else ""
    return messages.WELCOME.format(name=name)
