"""The definitions the KPIs are counted by, from ``definitions.toml`` or a file."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from passport.errors import ServiceError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainingDefinition(_Section):
    """Which entry counts a training."""

    count: Literal["completed", "enrolled"]
    annex2_subsidised_only: bool


class EmploymentDefinition(_Section):
    """The employment rate after training: window, evidence, denominator."""

    window_days: int = Field(ge=0, le=3650)
    evidence: list[Literal["employment.started", "insurance.period"]]
    denominator: Literal["enrolled", "completed", "passed"]
    include_employed_at_end: bool


class CertificationDefinition(_Section):
    """The certification rate: which certificates, which workers in post."""

    certificate_types: list[Literal["skill_level", "special_ability"]]
    occupations: list[str]


class Definitions(_Section):
    """Every definition the report prints beside its figures."""

    trainings: TrainingDefinition
    employment: EmploymentDefinition
    certification: CertificationDefinition


def load_definitions(path: Path | None = None) -> Definitions:
    """The shipped definitions, or those of ``path``; raise ServiceError."""
    try:
        if path is None:
            text = resources.files("passport.reports").joinpath("definitions.toml")
            data = tomllib.loads(text.read_text("utf-8"))
        else:
            data = tomllib.loads(path.read_text("utf-8"))
        return Definitions.model_validate(data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ServiceError(f"definitions: cannot read {path}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ServiceError(f"definitions: {where}: {first['msg']}") from exc
