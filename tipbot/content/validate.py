"""The bank's rules beyond its schema, and the `validate --report` summary.

The schema (models.py) checks each entry on its own; this module checks what needs the whole bank:
unique ids, citations that resolve, every message the bot would send being valid Telegram HTML,
enough tips spread over the topics, and plain-enough language for older readers.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tipbot.content import render, screens
from tipbot.content import translations as i18n
from tipbot.content.intake import Person, answer
from tipbot.content.loader import BankError, LoadedBank, Problem, load_bank
from tipbot.content.lookup import normalise
from tipbot.content.models import (
    AudienceTag,
    Bank,
    EvidenceLevel,
    FoodGroup,
    LifeStage,
    QuizQuestion,
    Sex,
    SourceKind,
    Tip,
    Topic,
)
from tipbot.content.quiz import as_poll
from tipbot.i18n import ENGLISH, Translator
from tipbot.telegram_html import check_html


@dataclass(frozen=True)
class Rules:
    min_tips: int = 90
    max_topic_share: float = 0.25
    max_mean_grade: float = 9.0
    max_tip_grade: float = 12.0
    max_age: int = 120
    min_quiz: int = 30
    #: Reading grades need textstat's pronouncing dictionary: about 1 s and 70 MB. `tipbot run`
    #: skips this editorial check (it cannot make a message wrong or rejected); `tipbot validate`
    #: and the test suite always make it.
    readability: bool = True


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade (textstat 0.7.8: later releases need NLTK data from the internet).
    Imported here: only `tipbot validate` and the tests grade reading, not a starting bot."""
    import textstat

    return float(textstat.flesch_kincaid_grade(text))


def validate_dir(
    directory: Path | None, rules: Rules = Rules()
) -> tuple[Bank | None, list[Problem]]:
    """Load and check a bank; return it with no problems, or None with every problem found."""
    try:
        loaded = load_bank(directory)
    except BankError as exc:
        return None, exc.problems
    problems = sorted(check(loaded, rules))
    return (None if problems else loaded.bank), problems


def check(loaded: LoadedBank, rules: Rules = Rules()) -> Iterator[Problem]:
    id_problems = list(_unique_ids(loaded))
    yield from id_problems
    yield from _audience_tags(loaded)
    yield from _dose_names(loaded)
    citation_problems = list(_citations(loaded))
    yield from citation_problems
    yield from _official_before_commercial(loaded)
    coverage_problems = list(_intake_coverage(loaded, rules))
    yield from coverage_problems
    yield from _bank_rules(loaded, rules)
    yield from _quiz(loaded, rules, check_tips=not id_problems)  # a duplicate tip id is ambiguous
    if not citation_problems and not coverage_problems:  # rendering needs both to hold
        yield from _rendering(loaded)
        if not id_problems:  # a translation is keyed by the English id
            yield from _translations(loaded)


def _unique_ids(loaded: LoadedBank) -> Iterator[Problem]:
    bank = loaded.bank
    groups: list[tuple[str, list[str]]] = [
        ("sources", [s.id for s in bank.sources]),
        ("tips", [t.id for t in bank.tips]),
        ("forms", [f.id for f in bank.forms]),
        ("quiz", [q.id for q in bank.quiz]),
        ("doses", [d.id for d in bank.doses]),
    ]
    for section, ids in groups:
        seen: set[str] = set()
        for n, item_id in enumerate(ids):
            if item_id in seen:
                yield loaded.problem(f"duplicate id {item_id!r} in {section}", section, n, "id")
            seen.add(item_id)
    seen = set()
    for n, cls in enumerate(bank.interactions.classes):
        if cls.id in seen:
            yield loaded.problem(
                f"duplicate id {cls.id!r} in interactions", "interactions", "classes", n, "id"
            )
        seen.add(cls.id)


#: Tags that have a caution text in the bank (interactions.kidney_caution); others cannot be used.
CAUTIONS = frozenset({AudienceTag.KIDNEY})


def _audience_tags(loaded: LoadedBank) -> Iterator[Problem]:
    """A tip cannot be both for and not for the same people: one of the two lines is a mistake."""
    for n, tip in enumerate(loaded.bank.tips):
        for tag in sorted(set(tip.for_) & set(tip.not_for)):
            yield loaded.problem(
                f"tip {tip.id!r} is both for and not_for {tag.value!r}", "tips", n, "not_for"
            )
        for tag in tip.caution_for:
            if tag not in CAUTIONS:
                known = ", ".join(sorted(c.value for c in CAUTIONS))
                yield loaded.problem(
                    f"caution_for {tag.value!r} has no caution text in the bank (known: {known})",
                    "tips",
                    n,
                    "caution_for",
                )


def _dose_names(loaded: LoadedBank) -> Iterator[Problem]:
    """A brand names one product: `/dose NAME` must never pick between two label rules silently."""
    seen: dict[str, str] = {}
    for n, rule in enumerate(loaded.bank.doses):
        for k, brand in enumerate(rule.brands):
            key = normalise(brand)
            if key in seen and seen[key] != rule.id:
                yield loaded.problem(
                    f"brand {brand!r} is already listed under {seen[key]!r}",
                    "doses",
                    n,
                    "brands",
                    k,
                )
            seen.setdefault(key, rule.id)


def cited_sources(bank: Bank) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every source id the bank cites, with where it is cited."""
    for n, tip in enumerate(bank.tips):
        for k, sid in enumerate(tip.sources):
            yield sid, ("tips", n, "sources", k)
    yield bank.foods.daily_value_source, ("foods", "daily_value_source")
    for n, food in enumerate(bank.foods.items):
        yield food.source, ("foods", "items", n, "source")
    for n, form in enumerate(bank.forms):
        for k, sid in enumerate(form.sources):
            yield sid, ("forms", n, "sources", k)
    for k, sid in enumerate(bank.interactions.sources):
        yield sid, ("interactions", "sources", k)
    for k, sid in enumerate(bank.interactions.kidney_caution_sources):
        yield sid, ("interactions", "kidney_caution_sources", k)
    for n, cls in enumerate(bank.interactions.classes):
        for k, sid in enumerate(cls.sources):
            yield sid, ("interactions", "classes", n, "sources", k)
    for key in ("rda_sources", "ul_sources"):
        for k, sid in enumerate(getattr(bank.intakes, key)):
            yield sid, ("intakes", key, k)
    for n, value in enumerate(bank.intakes.other_values):
        yield value.source, ("intakes", "other_values", n, "source")
    for n, rule in enumerate(bank.doses):
        for k, sid in enumerate(rule.sources):
            yield sid, ("doses", n, "sources", k)


def _citations(loaded: LoadedBank) -> Iterator[Problem]:
    known = loaded.bank.source_index
    for sid, loc in cited_sources(loaded.bank):
        if sid not in known:
            yield loaded.problem(f"unknown source id {sid!r} (not in sources)", *loc)


OFFICIAL_KINDS = frozenset({SourceKind.LABEL, SourceKind.REGULATOR})


def _official_before_commercial(loaded: LoadedBank) -> Iterator[Problem]:
    """A commercial summary of a medicine is allowed only while the bank has no official source.

    People act on timing advice, so it must come from the label itself; GoodRx or Drugs.com may
    paraphrase an old version. Matching is by the `medicine` both sources name.
    """
    sources = loaded.bank.sources
    official: dict[str, str] = {}
    for source in sources:
        if source.kind in OFFICIAL_KINDS and source.medicine:
            official.setdefault(source.medicine.casefold(), source.id)
    for n, source in enumerate(sources):
        if source.kind is not SourceKind.COMMERCIAL or not source.medicine:
            continue
        label = official.get(source.medicine.casefold())
        if label:
            yield loaded.problem(
                f"source {source.id!r} is a commercial page about {source.medicine}, but the bank "
                f"has the official source {label!r} for it: cite that instead",
                "sources",
                n,
                "kind",
            )


def _intake_coverage(loaded: LoadedBank, rules: Rules) -> Iterator[Problem]:
    table = loaded.bank.intakes
    for age in range(rules.max_age + 1):
        for sex in Sex:
            rows = [
                r
                for r in table.rda
                if r.stage is LifeStage.GENERAL and r.age_min <= age <= r.age_max
            ]
            if not rows or all(getattr(r, sex.value) is None for r in rows):
                yield loaded.problem(
                    f"no RDA row for a {age}-year-old {sex.value}", "intakes", "rda"
                )
                return
        if not any(u.age_min <= age <= u.age_max for u in table.ul):
            yield loaded.problem(f"no upper-limit row for age {age}", "intakes", "ul")
            return


_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def numbers(text: str) -> set[str]:
    """The numbers in a text, thousands commas removed ("1,800" and "1800" are one number)."""
    return {n.replace(",", "") for n in _NUMBER_RE.findall(text)}


def _quiz(loaded: LoadedBank, rules: Rules, *, check_tips: bool = True) -> Iterator[Problem]:
    """Each question must come from an existing tip and cite one of that tip's sources, and
    every number in its question, answer and explanation must appear in the tip: a quiz repeats
    what a tip says, it never adds a claim of its own."""
    bank = loaded.bank
    if len(bank.quiz) < rules.min_quiz:
        yield loaded.problem(
            f"the quiz has {len(bank.quiz)} questions; at least {rules.min_quiz} needed", "quiz"
        )
    if not check_tips:
        return
    for n, question in enumerate(bank.quiz):
        tip = bank.tip(question.tip)
        if tip is None:
            yield loaded.problem(f"unknown tip id {question.tip!r} (not in tips)", "quiz", n, "tip")
            continue
        if question.source not in tip.sources:
            yield loaded.problem(
                f"source {question.source!r} is not one of tip {tip.id!r}'s sources "
                f"({', '.join(tip.sources)})",
                "quiz",
                n,
                "source",
            )
        in_tip = numbers(tip.text)
        for field_name in ("question", "answer", "explanation"):
            extra = sorted(numbers(getattr(question, field_name)) - in_tip)
            if extra:
                yield loaded.problem(
                    f"{field_name} has {', '.join(extra)}, which tip {tip.id!r} does not say",
                    "quiz",
                    n,
                    field_name,
                )


def _bank_rules(loaded: LoadedBank, rules: Rules) -> Iterator[Problem]:
    tips = loaded.bank.tips
    if len(tips) < rules.min_tips:
        yield loaded.problem(
            f"the bank has {len(tips)} tips; at least {rules.min_tips} needed", "tips"
        )
    counts = Counter(t.topic for t in tips)
    limit = int(rules.max_topic_share * max(len(tips), rules.min_tips))
    for topic, count in sorted(counts.items()):
        if count > limit:
            first = next(n for n, t in enumerate(tips) if t.topic is topic)
            yield loaded.problem(
                f"topic {topic.value!r} has {count} tips, more than {limit} "
                f"({rules.max_topic_share:.0%} of the bank)",
                "tips",
                first,
                "topic",
            )
    if not rules.readability:
        return
    grades = [reading_grade(t.text) for t in tips]
    for n, grade in enumerate(grades):
        if grade > rules.max_tip_grade:
            yield loaded.problem(
                f"tip {tips[n].id!r} reads at grade {grade:.1f}, above {rules.max_tip_grade:g}: "
                "use shorter sentences and simpler words",
                "tips",
                n,
                "text",
            )
    for n, rule in enumerate(loaded.bank.doses):  # dose reminders are read by the same people
        texts = [("how_to_take", rule.how_to_take), ("minerals", rule.minerals)]
        texts += [("missed", text) for text in rule.missed.values()]
        for field_name, text in texts:
            grade = reading_grade(text)
            if grade > rules.max_tip_grade:
                yield loaded.problem(
                    f"dose rule {rule.id!r} {field_name} reads at grade {grade:.1f}, above "
                    f"{rules.max_tip_grade:g}: use shorter sentences and simpler words",
                    "doses",
                    n,
                    field_name,
                )
    if grades and statistics.fmean(grades) > rules.max_mean_grade:
        yield loaded.problem(
            f"the tips' mean reading grade is {statistics.fmean(grades):.1f}, "
            f"above {rules.max_mean_grade:g}",
            "tips",
        )


Loc = tuple[str | int, ...]


def _joined(parts: tuple[list[str], list[str]]) -> list[str]:
    """An answer's paragraphs as messages (its sources are checked with the sources)."""
    return render.split_paragraphs(parts[0])


def _rendering(loaded: LoadedBank) -> Iterator[Problem]:
    """Render every message the bot can send from this bank and check it as Telegram would."""
    for loc, issue in _render_issues(loaded.bank):
        yield loaded.problem(issue, *loc)


def _render_issues(
    bank: Bank, t: Translator = ENGLISH, *, tips: bool = True
) -> Iterator[tuple[Loc, str]]:
    """Every message the bot can render from `bank` in `t`'s language, checked as Telegram
    would: (where in the bank, what is wrong). Translated tips are checked by `i18n.check`."""
    outputs: list[tuple[Loc, Callable[[], str | list[str]]]] = []
    for n, tip in enumerate(bank.tips if tips else []):
        outputs.append((("tips", n), partial(render.tip, bank, tip)))
    for region in (None, "eu"):  # the EU region shows %NRV (a profile's choice)
        outputs.append((("foods",), partial(render.foods, bank, None, t, region)))
        outputs.append((("foods",), partial(render.foods_all, bank, t, region)))
    for group in FoodGroup:
        outputs.append((("foods",), partial(render.foods, bank, group, t)))
    outputs.append((("forms",), partial(_joined, render.forms_overview_parts(bank, t))))
    for n, form in enumerate(bank.forms):
        outputs.append((("forms", n), partial(_joined, render.form_parts(bank, form, t))))
    outputs.append((("interactions",), partial(render.interactions_overview, bank, t)))
    for n, cls in enumerate(bank.interactions.classes):
        outputs.append(
            (("interactions", "classes", n), partial(render.interaction, bank, cls, "x", t))
        )
    outputs.append((("sources",), partial(render.sources, bank, t)))
    for n, row in enumerate(bank.intakes.rda):
        for sex in Sex:
            if row.stage is not LifeStage.GENERAL and sex is Sex.MALE:
                continue
            person = Person(row.age_min, sex, row.stage)
            for region in (None, "eu", "uk"):
                page = partial(_intake_page, bank, person, region, t)
                outputs.append((("intakes", "rda", n), page))
    # The phone-sized screens of every answer that pages (tipbot.content.screens): an edit that
    # leaves one line longer than a screen would leave its answer unshowable.
    outputs.append((("forms",), partial(_screens, bank, t, "forms")))
    for n, form in enumerate(bank.forms):
        outputs.append((("forms", n), partial(_screens, bank, t, f"form.{form.id}")))
    outputs.append((("interactions",), partial(_screens, bank, t, "ix")))
    for n, cls in enumerate(bank.interactions.classes):
        key = f"ix.{cls.id}"
        outputs.append((("interactions", "classes", n), partial(_screens, bank, t, key)))
    for key in ["foods.top", "foods.every", *(f"foods.{g.value}" for g in FoodGroup)]:
        outputs.append((("foods",), partial(_screens, bank, t, key)))
    outputs.append((("sources",), partial(_screens, bank, t, "sources")))
    for n, question in enumerate(bank.quiz):
        outputs.append((("quiz", n), partial(_quiz_poll, question)))
    for loc, make in outputs:
        try:
            made = make()
        except (ValueError, StopIteration) as exc:
            yield loc, f"cannot render this entry: {exc}"
            continue
        for text in [made] if isinstance(made, str) else made:
            for issue in check_html(text):
                yield loc, f"the message would be rejected by Telegram: {issue}"


def _quiz_poll(question: QuizQuestion) -> list[str]:
    """The poll's question, options and explanation, each checked as Telegram parses them."""
    poll = as_poll(question)
    return [poll.question, *poll.options, poll.explanation]


def _screens(bank: Bank, t: Translator, key: str) -> list[str]:
    """The screens of the answer `key`, and of its sources; ValueError when a line of it is
    longer than a screen, so the answer cannot be shown."""
    try:
        reply = screens.reply_for(bank, key, t, strict=True)
    except ValueError as exc:
        raise ValueError(f"{exc} (a screen holds {render.FIRST_SCREEN})") from exc
    assert reply is not None
    return [*reply.screens, *screens.source_screens(bank, reply.sources, t)]


def _translations(loaded: LoadedBank) -> Iterator[Problem]:
    """A malformed translation file or a translation that fails a safety check (numbers,
    negations, hedges, markup, length) fails like a broken English bank: the bot refuses to
    start rather than send it. Missing and stale entries are only warnings (see `report`)."""
    try:
        translations = i18n.load_translations(loaded.directory, loaded.bank)
    except BankError as exc:
        yield from exc.problems
        return
    yield from i18n.check(translations, partial(_translated_tip_issues, loaded.bank))
    for lang in translations.languages:
        # Every message rendered from the translated tables, in the reader's language, must
        # still fit Telegram's limits and parse (a long translation can push a page over 4096).
        translated = translations.bank_for(lang)
        files = translations.files.get(lang, [])
        for loc, issue in _render_issues(translated, Translator(lang), tips=False):
            kind = str(loc[0])
            file = next((f for f in files if Path(f).stem == kind), None)
            where = loaded.where(*loc) if file is None else (file, 0)
            yield Problem(*where, f"{lang} {kind}: {issue}")


def _translated_tip_issues(bank: Bank, lang: str, tip: Tip) -> list[str]:
    page = render.tip(bank, tip)
    return [f"the message would be rejected by Telegram: {issue}" for issue in check_html(page)]


def translation_lines(directory: Path | None) -> list[str]:
    """Coverage per language, then every missing or stale entry with FILE:LINE."""
    loaded = load_bank(directory)
    translations = i18n.load_translations(loaded.directory, loaded.bank)
    out = ["Translations by kind (a missing or stale entry is shown in English):"]
    for cov in i18n.coverage_all(translations):
        out.append(
            f"  {cov.kind:<13} {cov.language}: {cov.translated}/{cov.total} ({cov.percent:.0f}%), "
            f"missing {len(cov.missing)}, stale {len(cov.stale)}"
        )
    out += [f"  {warning}" for warning in i18n.warnings(translations, loaded)]
    out += [f"  {warning}" for warning in i18n.table_warnings(translations, loaded)]
    return out


def _intake_page(bank: Bank, person: Person, region: str | None, t: Translator = ENGLISH) -> str:
    return render.intake(bank, answer(bank.intakes, person), t, region=region)


@dataclass
class Report:
    tips_per_topic: Counter[str] = field(default_factory=Counter)
    tips_per_evidence: Counter[str] = field(default_factory=Counter)
    mean_grade: float = 0.0
    max_grade: float = 0.0
    hardest: list[tuple[float, str]] = field(default_factory=list)
    sources_cited: Counter[str] = field(default_factory=Counter)
    sources_never_cited: list[str] = field(default_factory=list)
    sources_by_kind: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = ["Tip bank report", ""]
        out.append(", ".join(f"{k}: {v}" for k, v in self.counts.items()))
        out += ["", "Tips per topic:"]
        out += [f"  {t.value:<26} {self.tips_per_topic[t.value]:>3}" for t in Topic]
        out += ["", "Tips per evidence level:"]
        out += [f"  {e.value:<26} {self.tips_per_evidence[e.value]:>3}" for e in EvidenceLevel]
        out += [
            "",
            f"Readability (Flesch-Kincaid grade): mean {self.mean_grade:.1f}, "
            f"max {self.max_grade:.1f}",
        ]
        out += [f"  hardest: {tip_id} ({grade:.1f})" for grade, tip_id in self.hardest]
        out += ["", f"Sources cited: {len(self.sources_cited)}"]
        out += [f"  {sid:<28} {n:>3}x" for sid, n in self.sources_cited.most_common()]
        never = ", ".join(self.sources_never_cited) or "none"
        out += [f"Sources never cited: {never}"]
        out += ["", "Sources by kind:"]
        for kind in SourceKind:
            ids = self.sources_by_kind.get(kind.value, [])
            out.append(f"  {kind.value:<12} {len(ids):>3}: {', '.join(ids) or '-'}")
        return out


def report(bank: Bank) -> Report:
    grades = [(reading_grade(t.text), t.id) for t in bank.tips]
    cited = Counter(sid for sid, _ in cited_sources(bank))
    return Report(
        tips_per_topic=Counter(t.topic.value for t in bank.tips),
        tips_per_evidence=Counter(t.evidence.value for t in bank.tips),
        mean_grade=statistics.fmean(g for g, _ in grades) if grades else 0.0,
        max_grade=max((g for g, _ in grades), default=0.0),
        hardest=sorted(grades, reverse=True)[:3],
        sources_cited=cited,
        sources_never_cited=[s.id for s in bank.sources if s.id not in cited],
        sources_by_kind={
            kind.value: sorted(s.id for s in bank.sources if s.kind is kind) for kind in SourceKind
        },
        counts={
            "tips": len(bank.tips),
            "sources": len(bank.sources),
            "foods": len(bank.foods.items),
            "forms": len(bank.forms),
            "interaction classes": len(bank.interactions.classes),
            "quiz questions": len(bank.quiz),
        },
    )
