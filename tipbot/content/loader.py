"""Loading the YAML tip bank with `FILE:LINE` for every problem.

The bank is edited by people who are not programmers, so a mistake must point at the line to fix,
never at a traceback. PyYAML's safe loader builds a node tree with positions; we keep it beside the
data so that a pydantic error location (`tips -> 3 -> text`) maps back to a file and a line.

PyYAML is imported where a file is read (15 ms): `tipbot run` on an unchanged bank reads the checked
bank from its cache (content/cache.py) and parses no YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tipbot.content.models import Bank

if TYPE_CHECKING:
    import yaml

#: Top-level keys that hold lists may be split over several files (e.g. tips by topic).
LIST_SECTIONS = frozenset({"sources", "tips", "forms", "quiz", "doses"})
SECTIONS = frozenset(
    {"sources", "tips", "foods", "forms", "interactions", "intakes", "quiz", "doses"}
)


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class BankError(Exception):
    """The bank failed to load or validate; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class _Located:
    file: str
    node: yaml.Node


@dataclass
class LoadedBank:
    """The validated bank plus a map back to where each part was written."""

    bank: Bank
    directory: Path
    _sections: dict[str, _Located] = field(default_factory=dict)
    _items: dict[str, list[_Located]] = field(default_factory=dict)

    def where(self, *loc: str | int) -> tuple[str, int]:
        return _where(self._sections, self._items, self.directory, loc)

    def problem(self, message: str, *loc: str | int) -> Problem:
        file, line = self.where(*loc)
        return Problem(file, line, message)


def bundled_bank_dir() -> Path:
    """The bank shipped in the wheel (`tipbot/bank`), or `tips/` beside a source checkout."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "bank", package_dir.parent / "tips"):
        if (candidate / "tips.yaml").is_file():
            return candidate
    raise BankError([Problem(str(package_dir / "bank"), 0, "the bundled tip bank is missing")])


def load_bank(directory: Path | None = None) -> LoadedBank:
    """Load and schema-check every `*.yaml` file in `directory`; raise BankError on any problem."""
    import yaml

    directory = directory or bundled_bank_dir()
    if not directory.is_dir():
        raise BankError([Problem(str(directory), 0, "not a directory")])
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise BankError([Problem(str(directory), 0, "no .yaml files found")])

    problems: list[Problem] = []
    data: dict[str, Any] = {}
    sections: dict[str, _Located] = {}
    items: dict[str, list[_Located]] = {}
    for path in files:
        name = _display(path, directory)
        try:
            node, document = _parse(path)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            problems.append(Problem(name, line, f"malformed YAML: {exc.problem or exc}"))
            continue
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            problems.append(Problem(name, 0, f"cannot read: {exc}"))
            continue
        if document is None:
            continue
        if not isinstance(document, dict) or not isinstance(node, yaml.MappingNode):
            problems.append(Problem(name, 1, "the file must be a mapping such as `tips:`"))
            continue
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key not in SECTIONS:
                expected = ", ".join(sorted(SECTIONS))
                problems.append(
                    Problem(name, line, f"unknown section {key!r} (expected {expected})")
                )
                continue
            value = document[key]
            if key in LIST_SECTIONS and isinstance(value, list):
                data.setdefault(key, []).extend(value)
                located = [_Located(name, n) for n in value_node.value]
                items.setdefault(key, []).extend(located)
                sections.setdefault(key, _Located(name, value_node))
            elif key in data:
                first = sections[key]
                problems.append(
                    Problem(name, line, f"section {key!r} is already defined in {first.file}")
                )
            else:
                data[key] = value
                sections[key] = _Located(name, value_node)
    if problems:
        raise BankError(problems)

    try:
        bank = Bank.model_validate(data)
    except ValidationError as exc:
        raise BankError(
            [
                Problem(
                    *_where(sections, items, directory, error["loc"]),
                    _message({**error, "loc": _local_loc(items, error["loc"])}),
                )
                for error in exc.errors()
            ]
        ) from None
    return LoadedBank(bank, directory, sections, items)


def _parse(path: Path) -> tuple[yaml.Node | None, Any]:
    """Compose the node tree (for line numbers) and construct the data with the safe loader."""
    import yaml

    text = path.read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, document


def _where(
    sections: dict[str, _Located],
    items: dict[str, list[_Located]],
    directory: Path,
    loc: tuple[str | int, ...],
) -> tuple[str, int]:
    if not loc or loc[0] not in sections:
        return (str(directory), 0)
    section = str(loc[0])
    rest = list(loc[1:])
    first = rest[0] if rest else None
    if section in items and isinstance(first, int) and first < len(items[section]):
        located = items[section][first]
        rest.pop(0)
    else:
        located = sections[section]
    node = located.node
    for part in rest:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return (located.file, node.start_mark.line + 1)


def _local_loc(
    items: dict[str, list[_Located]], loc: tuple[str | int, ...]
) -> tuple[str | int, ...]:
    """Number a list item within its own file: `sources.0` is the first source of that file.

    List sections are merged from several files, so pydantic's index counts the items of every
    file read before; the editor looking at one file needs the position in that file.
    """
    if len(loc) < 2 or not isinstance(loc[1], int) or loc[0] not in items:
        return loc
    located = items[str(loc[0])]
    if loc[1] >= len(located):
        return loc
    file = located[loc[1]].file
    local = sum(1 for item in located[: loc[1]] if item.file == file)
    return (loc[0], local, *loc[2:])


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == part:
                return value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def _message(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    msg = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return f"unknown field {loc!r} (check the spelling)"
    if error["type"] == "missing":
        return f"missing field {loc!r}"
    return f"{loc}: {msg}"


def _display(path: Path, directory: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
