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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.identifiers import OCCUPATION_CODE_PATTERN

RULES_DIR = Path(str(files("passport.guidance") / "rules"))
TEMPLATES_DIR = RULES_DIR / "templates"

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


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(StrictModel):
    """A cited source; ``status`` is the FACTS.md tag (V confirmed, S secondary)."""

    title: Text
    status: Literal["V", "S", "U"]
    urls: list[Annotated[str, Field(pattern=r"^https?://\S+$")]]


class PriorCertificate(StrictModel):
    """Holds the skill-level certificate ``level`` of this (or a related) occupation.

    ``related`` asks for the certificate of a related occupation (相关职业), as
    occupations without that level do; which ones are related comes from
    ``related_occupations``.
    """

    type: Literal["prior_certificate"]
    level: Level
    related: bool = False
    cite: Cite


class YearsOfWork(StrictModel):
    """Cumulative years of work in this or a related occupation."""

    type: Literal["years_of_work"]
    years: int = Field(ge=1, le=50)
    from_prior_certificate: bool = False
    cite: Cite


class ApprenticeshipCompleted(StrictModel):
    """The apprenticeship in this or a related occupation is completed (学徒期满)."""

    type: Literal["apprenticeship_completed"]
    cite: Cite


class Training(StrictModel):
    """Completed and passed training (正规培训) for ``level`` of this occupation.

    ``min_hours`` is the 标准学时 the standard asks for, summed over passed
    classes aimed at that level; None where the source gives no number.
    """

    type: Literal["training"]
    level: Level
    min_hours: int | None = Field(default=None, ge=1, le=2000)
    cite: Cite


class Age(StrictModel):
    """At least ``years`` old (年满N周岁); the ledger holds no birth date."""

    type: Literal["age"]
    years: int = Field(ge=14, le=70)
    cite: Cite


class ProfessionalTitle(StrictModel):
    """A professional title (职称) of the rank described; the ledger holds none."""

    type: Literal["professional_title"]
    title_zh: Text
    title_en: Text
    cite: Cite


class Schooling(StrictModel):
    """A diploma (or final-year student status) of the kind described."""

    type: Literal["schooling"]
    diploma_zh: Text
    diploma_en: Text
    cite: Cite


class UnknownCondition(StrictModel):
    """A condition whose source text is missing: shown as unknown, never guessed."""

    type: Literal["unknown"]
    about: Literal[
        "years_of_work", "prior_certificate", "schooling", "training", "other"
    ]
    detail_zh: Text
    detail_en: Text
    note_zh: Text | None = None
    note_en: Text | None = None
    cite: Cite


Condition = Annotated[
    PriorCertificate
    | YearsOfWork
    | ApprenticeshipCompleted
    | Training
    | Age
    | ProfessionalTitle
    | Schooling
    | UnknownCondition,
    Field(discriminator="type"),
]


class RulePath(StrictModel):
    """One alternative path to a level: all its conditions must hold."""

    level: Level
    id: Annotated[str, Field(pattern=r"^[a-z]$")]
    cite: Cite
    conditions: list[Condition] = Field(alias="condition", min_length=1)


class Edition(StrictModel):
    """One edition of the national standard and the paths it sets."""

    standard_zh: Text
    standard_en: Text
    edition: Text
    effective_from: dt.date
    effective_from_exact: bool
    basis: Literal["standard", "template"] = Field(
        default="standard",
        description="template: the occupation's own text was not found, so the "
        "generic template's paths stand in for it",
    )
    cite: Cite
    paths: list[RulePath] = Field(alias="path", min_length=1)

    def paths_to(self, level: int) -> list[RulePath]:
        """The paths to ``level`` in file order."""
        return [path for path in self.paths if path.level == level]


class OccupationRules(StrictModel):
    """All editions of the application conditions of one occupation."""

    format: Literal[1]
    occupation_code: OccupationCode
    name_zh: Text
    name_en: Text
    levels: list[Level] = Field(min_length=1, description="lowest first, e.g. 5 to 1")
    levels_known: bool = True
    related_occupations: list[OccupationCode]
    sources: dict[SourceKey, Source]
    editions: list[Edition] = Field(alias="edition", min_length=1)

    def edition_on(self, day: dt.date) -> Edition | None:
        """The edition in force on ``day``: the latest that took effect by then."""
        in_force = [e for e in self.editions if e.effective_from <= day]
        return max(in_force, key=lambda e: e.effective_from, default=None)


def error_location(loc: tuple[int | str, ...]) -> str:
    parts = [f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc]
    return "".join(parts).lstrip(".") or "(top)"


def _check_path(
    path: RulePath, where: str, levels: list[int]
) -> Iterator[tuple[str, str]]:
    """Problems inside one path: levels, prior levels and where years count from."""
    if path.level not in levels:
        yield f"{where}.level", f"level {path.level} is not one of levels {levels}"
    priors = [c for c in path.conditions if isinstance(c, PriorCertificate)]
    for c, condition in enumerate(path.conditions):
        here = f"{where}.condition[{c}]"
        if (
            isinstance(condition, PriorCertificate)
            and not condition.related
            and condition.level not in levels
        ):
            yield (
                f"{here}.level",
                f"this occupation has no level {condition.level}; "
                "set related = true for a related occupation's certificate",
            )
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

    if rules.levels != sorted(set(rules.levels), reverse=True):
        yield "levels", f"expected distinct levels lowest first, got {rules.levels}"
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
            yield from _check_path(path, where, rules.levels)


def _read_toml(file: Path, reported: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(reported, [("(file)", f"{file.name}: {exc}")]) from exc


def _expand_templates(data: dict[str, Any], file: Path) -> None:
    """Put a template's paths, for the occupation's levels, into each edition using it.

    An edition with ``template = "NAME"`` takes the paths of
    ``templates/NAME.toml`` whose level the occupation has, and the
    template's sources join the file's; the edition's basis becomes
    "template".
    """
    levels = data.get("levels")
    for e, edition in enumerate(data.get("edition", [])):
        if not isinstance(edition, dict) or "template" not in edition:
            continue
        name = edition.pop("template")
        if not isinstance(name, str) or not re.fullmatch(r"[0-9a-z-]+", name):
            raise RuleFileError(
                file, [(f"edition[{e}].template", f"bad name {name!r}")]
            )
        if "path" in edition:
            problem = "an edition takes its paths from a template or lists them"
            raise RuleFileError(file, [(f"edition[{e}].path", problem)])
        template = _read_toml(TEMPLATES_DIR / f"{name}.toml", file)
        edition["path"] = [
            path
            for path in template.get("path", [])
            if not isinstance(levels, list) or path.get("level") in levels
        ]
        edition["basis"] = "template"
        sources = data.setdefault("sources", {})
        for key, source in template.get("sources", {}).items():
            sources.setdefault(key, source)


def load_rule_file(file: Path) -> OccupationRules:
    """Read and validate one rule file; raises RuleFileError naming each problem."""
    data = _read_toml(file, file)
    _expand_templates(data, file)
    try:
        rules = OccupationRules.model_validate(data)
    except ValidationError as exc:
        problems = [(error_location(err["loc"]), err["msg"]) for err in exc.errors()]
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
