"""The text of the bank's tables (foods, forms, interactions, intakes, quiz, doses), one unit per
translatable entry, and the bank rebuilt with a language's text in place of the English.

A translator translates words, never facts: each kind names exactly which of its fields are text
(a food's name, serving and note; a quiz's question, options and explanation...). Everything else
(ids, numbers, sources, evidence, brands) is read from the English bank only, so a translation
cannot change a dose or a citation even by mistake.

Each unit has an id a translation file keys on. Most entries have their own id in the bank; a
food is keyed by its English name as words ("pumpkin-seeds-roasted"), an intake row by its table
and group, so that the ids read like what they name. A field that holds a list (quiz options, the
generic names of an interaction class's medicines) or a mapping (a dose rule's missed-dose rules
by schedule) is flattened to `options.0`, `missed.weekly`..., and a translation must give every
one: nothing is ever sent half-translated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from tipbot.content.lookup import LookupResult
from tipbot.content.models import (
    Bank,
    DoseRule,
    Food,
    Form,
    InteractionClass,
    Medicine,
    QuizQuestion,
    RdaRow,
    ReferenceValue,
    UlRow,
)

#: The table kinds a locale file may hold, in the order the report lists them.
TABLE_KINDS: tuple[str, ...] = ("foods", "forms", "interactions", "intakes", "quiz", "doses")

#: The text fields a translated entry of each kind may hold (besides `id` and `from`). A field in
#: LIST_FIELDS is written as a YAML list, one in MAP_FIELDS as a mapping.
FIELDS: dict[str, tuple[str, ...]] = {
    "foods": ("name", "serving", "note"),
    "forms": ("name", "elemental_note", "absorption", "uses_side_effects"),
    "interactions": ("text", "name", "medicines", "mechanism", "advice", "sources_disagree"),
    "intakes": ("text", "group", "name", "note"),
    "quiz": ("question", "options", "explanation"),
    "doses": ("name", "how_to_take", "minerals", "missed"),
}
LIST_FIELDS = frozenset({"options", "medicines"})
MAP_FIELDS = frozenset({"missed"})

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Unit:
    """One translatable entry of the English bank: its id, its text by (flattened) field, and
    where it is written (a LoadedBank location, for a "missing" warning's FILE:LINE)."""

    kind: str
    id: str
    fields: dict[str, str]
    loc: Loc


def slug(text: str) -> str:
    """A readable id from English words: "Adults 51-70 years" -> "adults-51-70-years"."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def food_id(food: Food) -> str:
    return slug(food.name)


def _flat(**fields: str | list[str] | Mapping[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, list):
            out.update({f"{name}.{n}": item for n, item in enumerate(value)})
        else:
            out.update({f"{name}.{key}": item for key, item in value.items()})
    return out


def units(bank: Bank, kind: str) -> list[Unit]:
    """Every translatable entry of one kind, in the bank's order."""
    if kind == "foods":
        return [
            Unit(kind, food_id(f), _flat(name=f.name, serving=f.serving, note=f.note), loc)
            for n, f in enumerate(bank.foods.items)
            for loc in [("foods", "items", n)]
        ]
    if kind == "forms":
        return [
            Unit(
                kind,
                f.id,
                _flat(
                    name=f.name,
                    elemental_note=f.elemental_note,
                    absorption=f.absorption,
                    uses_side_effects=f.uses_side_effects,
                ),
                ("forms", n),
            )
            for n, f in enumerate(bank.forms)
        ]
    if kind == "interactions":
        table = bank.interactions
        out = [
            Unit(kind, "general", {"text": table.general}, ("interactions", "general")),
            Unit(
                kind,
                "kidney-caution",
                {"text": table.kidney_caution},
                ("interactions", "kidney_caution"),
            ),
        ]
        for n, cls in enumerate(table.classes):
            fields = _flat(
                name=cls.name,
                medicines=[m.generic for m in cls.medicines],
                mechanism=cls.mechanism,
                advice=cls.advice,
                sources_disagree=cls.sources_disagree,
            )
            out.append(Unit(kind, cls.id, fields, ("interactions", "classes", n)))
        return out
    if kind == "intakes":
        intakes = bank.intakes
        out = [
            Unit(kind, "region", {"text": intakes.region}, ("intakes", "region")),
            Unit(kind, "rda-note", {"text": intakes.rda_note}, ("intakes", "rda_note")),
            Unit(kind, "ul-note", {"text": intakes.ul_note}, ("intakes", "ul_note")),
        ]
        out += [
            Unit(kind, f"rda-{slug(row.group)}", {"group": row.group}, ("intakes", "rda", n))
            for n, row in enumerate(intakes.rda)
        ]
        out += [
            Unit(
                kind,
                f"ul-{slug(ul.group)}",
                _flat(group=ul.group, note=ul.note),
                ("intakes", "ul", n),
            )
            for n, ul in enumerate(intakes.ul)
        ]
        out += [
            Unit(
                kind,
                value_id(value),
                _flat(name=value.name, note=value.note),
                ("intakes", "other_values", n),
            )
            for n, value in enumerate(intakes.other_values)
        ]
        return out
    if kind == "quiz":
        return [
            Unit(
                kind,
                q.id,
                _flat(question=q.question, options=q.options, explanation=q.explanation),
                ("quiz", n),
            )
            for n, q in enumerate(bank.quiz)
        ]
    if kind == "doses":
        return [
            Unit(
                kind,
                rule.id,
                _flat(
                    name=rule.name,
                    how_to_take=rule.how_to_take,
                    minerals=rule.minerals,
                    missed={k.value: v for k, v in rule.missed.items()},
                ),
                ("doses", n),
            )
            for n, rule in enumerate(bank.doses)
        ]
    raise ValueError(f"unknown kind {kind!r}")


def value_id(value: ReferenceValue) -> str:
    """A reference value is named by whose it is and what it measures: "value-eu-intake"."""
    return f"value-{value.region}-{value.measure.value.replace('_', '-')}"


# --- The bank in another language ----------------------------------------------------------


def translated_bank(bank: Bank, texts: Mapping[str, Mapping[str, dict[str, str]]]) -> Bank:
    """`bank` with the text of every unit found in `texts` (kind -> id -> flattened fields)
    replacing the English; units not in `texts` stay English, whole.

    The caller passes only current translations (same hash, every field), so a unit is either
    wholly translated or wholly English. Numbers, ids, sources and brands stay the bank's own.
    """

    def got(kind: str, unit_id: str) -> dict[str, str] | None:
        return texts.get(kind, {}).get(unit_id)

    foods = bank.foods.model_copy(
        update={"items": [_food(f, got("foods", food_id(f))) for f in bank.foods.items]}
    )
    forms = [_form(f, got("forms", f.id)) for f in bank.forms]
    table = bank.interactions
    general = got("interactions", "general")
    caution = got("interactions", "kidney-caution")
    interactions = table.model_copy(
        update={
            "general": general["text"] if general else table.general,
            "kidney_caution": caution["text"] if caution else table.kidney_caution,
            "classes": [_class(c, got("interactions", c.id)) for c in table.classes],
        }
    )
    intakes = bank.intakes
    region = got("intakes", "region")
    rda_note = got("intakes", "rda-note")
    ul_note = got("intakes", "ul-note")
    intakes = intakes.model_copy(
        update={
            "region": region["text"] if region else intakes.region,
            "rda_note": rda_note["text"] if rda_note else intakes.rda_note,
            "ul_note": ul_note["text"] if ul_note else intakes.ul_note,
            "rda": [_rda(r, got("intakes", f"rda-{slug(r.group)}")) for r in intakes.rda],
            "ul": [_ul(u, got("intakes", f"ul-{slug(u.group)}")) for u in intakes.ul],
            "other_values": [_value(v, got("intakes", value_id(v))) for v in intakes.other_values],
        }
    )
    quiz = [_quiz(q, got("quiz", q.id)) for q in bank.quiz]
    doses = [_dose(d, got("doses", d.id)) for d in bank.doses]
    return bank.model_copy(
        update={
            "foods": foods,
            "forms": forms,
            "interactions": interactions,
            "intakes": intakes,
            "quiz": quiz,
            "doses": doses,
        }
    )


def _food(food: Food, text: dict[str, str] | None) -> Food:
    if text is None:
        return food
    return food.model_copy(
        update={"name": text["name"], "serving": text["serving"], "note": text.get("note")}
    )


def _form(form: Form, text: dict[str, str] | None) -> Form:
    if text is None:
        return form
    return form.model_copy(
        update={
            "name": text["name"],
            "elemental_note": text.get("elemental_note"),
            "absorption": text["absorption"],
            "uses_side_effects": text["uses_side_effects"],
        }
    )


def _class(cls: InteractionClass, text: dict[str, str] | None) -> InteractionClass:
    if text is None:
        return cls
    medicines = [
        Medicine(generic=text[f"medicines.{n}"], brands=m.brands)
        for n, m in enumerate(cls.medicines)
    ]
    return cls.model_copy(
        update={
            "name": text["name"],
            "medicines": medicines,
            "mechanism": text["mechanism"],
            "advice": text["advice"],
            "sources_disagree": text.get("sources_disagree"),
        }
    )


def _rda(row: RdaRow, text: dict[str, str] | None) -> RdaRow:
    return row if text is None else row.model_copy(update={"group": text["group"]})


def _ul(row: UlRow, text: dict[str, str] | None) -> UlRow:
    if text is None:
        return row
    return row.model_copy(update={"group": text["group"], "note": text.get("note")})


def _value(value: ReferenceValue, text: dict[str, str] | None) -> ReferenceValue:
    if text is None:
        return value
    return value.model_copy(update={"name": text["name"], "note": text.get("note")})


def _quiz(question: QuizQuestion, text: dict[str, str] | None) -> QuizQuestion:
    if text is None:
        return question
    options = [text[f"options.{n}"] for n in range(len(question.options))]
    return question.model_copy(
        update={
            "question": text["question"],
            "options": options,
            # The answer is the option at the English answer's place: options keep their order.
            "answer": options[question.correct_index],
            "explanation": text["explanation"],
        }
    )


def _dose(rule: DoseRule, text: dict[str, str] | None) -> DoseRule:
    if text is None:
        return rule
    missed = {kind: text[f"missed.{kind.value}"] for kind in rule.missed}
    return rule.model_copy(
        update={
            "name": text["name"],
            "how_to_take": text["how_to_take"],
            "minerals": text["minerals"],
            "missed": missed,
        }
    )


def lookup_in(bank: Bank, result: LookupResult) -> LookupResult:
    """A medicine look-up, made on the English names people type (brands, English generics),
    shown from `bank` in the reader's language: each class and generic name translated."""
    classes = {c.id: c for c in bank.interactions.classes}
    matches = []
    for match in result.matches:
        shown = classes.get(match.interaction.id, match.interaction)
        generics = [m.generic for m in match.interaction.medicines]
        # The medicines keep their order, so the translated generic is at the same place.
        if match.generic in generics and len(shown.medicines) == len(generics):
            generic = shown.medicines[generics.index(match.generic)].generic
            name = generic if match.name == match.generic else match.name
            match = replace(match, name=name, generic=generic)
        matches.append(replace(match, interaction=shown))
    return replace(result, matches=tuple(matches))


__all__ = [
    "FIELDS",
    "LIST_FIELDS",
    "MAP_FIELDS",
    "TABLE_KINDS",
    "Unit",
    "food_id",
    "lookup_in",
    "slug",
    "translated_bank",
    "units",
    "value_id",
]
