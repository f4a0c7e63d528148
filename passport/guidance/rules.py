"""Rule files: the application conditions (申报条件) of one occupation, as data.

A rule file is TOML named ``<occupation_code>.toml`` in ``passport/guidance/rules``
(see ``4-10-01-05.toml`` for the format). Loading validates the shape with the
pydantic models below, then checks what a schema cannot: citations name known
sources, path ids are unique per level, a prior certificate is below the target
level, and years counted from a prior certificate have one to count from.

Exceptions::

    GuidanceError
    ├── RuleFileError   a rule file is malformed; names the file and each location
    └── NoRulesError    no rule file, or no edition in force on the day asked about
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.identifiers import OCCUPATION_CODE_PATTERN

RULES_DIR = Path(str(files("passport.guidance") / "rules"))

Level = Annotated[int, Field(ge=1, le=5)]
SourceKey = Annotated[str, Field(pattern=r"^S\d+[a-z]?$")]
Cite = Annotated[list[SourceKey], Field(min_length=1)]
Text = Annotated[str, Field(min_length=1, max_length=300)]
OccupationCode = Annotated[str, Field(pattern=OCCUPATION_CODE_PATTERN)]


class GuidanceError(Exception):
    """Root of the errors raised by promotion guidance."""


class RuleFileError(GuidanceError):
    """A rule file that cannot be read or does not validate."""

    def __init__(self, file: Path, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        listed = "; ".join(f"{where}: {what}" for where, what in problems)
        super().__init__(f"rule file {file}: {listed}")


class NoRulesError(GuidanceError):
    """No rules for an occupation, or none in force on a given day."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A cited source; ``status`` is the FACTS.md tag (V confirmed, S secondary)."""

    title: Text
    status: Literal["V", "S", "U"]
    urls: list[Annotated[str, Field(pattern=r"^https?://\S+$")]]


class PriorCertificate(_Strict):
    """Holds the skill-level certificate ``level`` of the same occupation."""

    type: Literal["prior_certificate"]
    level: Level
    cite: Cite


class YearsOfWork(_Strict):
    """Cumulative years of work in this or a related occupation."""

    type: Literal["years_of_work"]
    years: int = Field(ge=1, le=50)
    from_prior_certificate: bool = False
    cite: Cite


class ApprenticeshipCompleted(_Strict):
    """The apprenticeship in this or a related occupation is completed (学徒期满)."""

    type: Literal["apprenticeship_completed"]
    cite: Cite


class Schooling(_Strict):
    """A diploma (or final-year student status) of the kind described."""

    type: Literal["schooling"]
    diploma_zh: Text
    diploma_en: Text
    cite: Cite


class UnknownCondition(_Strict):
    """A condition whose source text is missing: shown as unknown, never guessed."""

    type: Literal["unknown"]
    about: Literal["years_of_work", "prior_certificate", "schooling", "other"]
    detail_zh: Text
    detail_en: Text
    note_zh: Text | None = None
    note_en: Text | None = None
    cite: Cite


Condition = Annotated[
    PriorCertificate
    | YearsOfWork
    | ApprenticeshipCompleted
    | Schooling
    | UnknownCondition,
    Field(discriminator="type"),
]


class RulePath(_Strict):
    """One alternative path to a level: all its conditions must hold."""

    level: Level
    id: Annotated[str, Field(pattern=r"^[a-z]$")]
    cite: Cite
    conditions: list[Condition] = Field(alias="condition", min_length=1)


class Edition(_Strict):
    """One edition of the national standard and the paths it sets."""

    standard_zh: Text
    standard_en: Text
    edition: Text
    effective_from: dt.date
    effective_from_exact: bool
    cite: Cite
    paths: list[RulePath] = Field(alias="path", min_length=1)

    def paths_to(self, level: int) -> list[RulePath]:
        """The paths to ``level`` in file order."""
        return [path for path in self.paths if path.level == level]


class OccupationRules(_Strict):
    """All editions of the application conditions of one occupation."""

    format: Literal[1]
    occupation_code: OccupationCode
    name_zh: Text
    name_en: Text
    related_occupations: list[OccupationCode]
    sources: dict[SourceKey, Source]
    editions: list[Edition] = Field(alias="edition", min_length=1)

    def edition_on(self, day: dt.date) -> Edition | None:
        """The edition in force on ``day``: the latest that took effect by then."""
        in_force = [e for e in self.editions if e.effective_from <= day]
        return max(in_force, key=lambda e: e.effective_from, default=None)


def _where(loc: tuple[int | str, ...]) -> str:
    parts = [f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc]
    return "".join(parts).lstrip(".") or "(top)"


def _check_path(path: RulePath, where: str) -> Iterator[tuple[str, str]]:
    """Problems inside one path: prior levels and where years count from."""
    priors = [c for c in path.conditions if isinstance(c, PriorCertificate)]
    for c, condition in enumerate(path.conditions):
        here = f"{where}.condition[{c}]"
        if isinstance(condition, PriorCertificate) and condition.level <= path.level:
            yield (
                f"{here}.level",
                (
                    f"prior certificate level {condition.level} is not below "
                    f"target level {path.level}"
                ),
            )
        if isinstance(condition, YearsOfWork) and (
            condition.from_prior_certificate and not priors
        ):
            yield (
                f"{here}.from_prior_certificate",
                ("no prior_certificate condition in the path to count from"),
            )


def _cross_check(rules: OccupationRules, stem: str) -> Iterator[tuple[str, str]]:
    """Problems the schema cannot see, each with its location in the file."""
    if stem != rules.occupation_code:
        yield "occupation_code", f"{rules.occupation_code!r} does not match file name"

    def cited(where: str, cite: list[str]) -> Iterator[tuple[str, str]]:
        for key in cite:
            if key not in rules.sources:
                yield f"{where}.cite", f"unknown source key {key!r}"

    dates = [edition.effective_from for edition in rules.editions]
    if len(set(dates)) != len(dates):
        yield "edition", f"two editions take effect on the same day: {sorted(dates)}"
    for e, edition in enumerate(rules.editions):
        yield from cited(f"edition[{e}]", edition.cite)
        seen: set[tuple[int, str]] = set()
        for p, path in enumerate(edition.paths):
            where = f"edition[{e}].path[{p}]"
            yield from cited(where, path.cite)
            for c, condition in enumerate(path.conditions):
                yield from cited(f"{where}.condition[{c}]", condition.cite)
            if (path.level, path.id) in seen:
                yield f"{where}.id", f"path {path.id!r} of level {path.level} repeats"
            seen.add((path.level, path.id))
            yield from _check_path(path, where)


def load_rule_file(file: Path) -> OccupationRules:
    """Read and validate one rule file; raises RuleFileError naming each problem."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(file, [("(file)", str(exc))]) from exc
    try:
        rules = OccupationRules.model_validate(data)
    except ValidationError as exc:
        problems = [(_where(err["loc"]), err["msg"]) for err in exc.errors()]
        raise RuleFileError(file, problems) from exc
    problems = list(_cross_check(rules, file.stem))
    if problems:
        raise RuleFileError(file, problems)
    return rules


@functools.cache
def load_rules(occupation_code: str) -> OccupationRules:
    """The validated rules of an occupation from the packaged rule files."""
    file = RULES_DIR / f"{occupation_code}.toml"
    if not re.fullmatch(OCCUPATION_CODE_PATTERN, occupation_code) or not file.is_file():
        raise NoRulesError(f"rules: no rule file for occupation {occupation_code!r}")
    return load_rule_file(file)


def rule_files() -> list[Path]:
    """Every packaged rule file, sorted by name."""
    return sorted(RULES_DIR.glob("*.toml"))
