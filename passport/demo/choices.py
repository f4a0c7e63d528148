"""Which institution serves a worker: accredited ones, weighted by the plan."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from schemas.catalogue import CatalogueItem
from schemas.trust import IssuerKind

if TYPE_CHECKING:
    from passport.demo.generator import IssuerSpec

PLAN_YEAR = 2026  # the plan's first year, whose annex 2 column weights the draws
_SOCIAL_EVALUATOR_WEIGHT = 3.0  # 社会培训评价组织 (S) certify most; employers' own 1


def accredited(
    issuers: Sequence[IssuerSpec], kind: IssuerKind, code: str, grade: int | None
) -> list[IssuerSpec]:
    """The institutions of ``kind`` accredited for ``code`` at ``grade``."""
    found = [i for i in issuers if i.kind is kind and i.accredits(code, grade)]
    if not found:
        raise ValueError(f"demo issuers: no {kind.value} for {code} at grade {grade}")
    return found


def trainers(
    issuers: Sequence[IssuerSpec], item: CatalogueItem, grade: int | None
) -> tuple[list[IssuerSpec], list[float]]:
    """Training institutions for ``item`` weighted by annex 2's numbers per system."""
    found = accredited(issuers, IssuerKind.TRAINING_INSTITUTION, item.code, grade)
    by_system = item.targets[PLAN_YEAR].by_system
    # a system's number is shared among its institutions
    shares = Counter(issuer.system for issuer in found)
    weights = [by_system[str(i.system)] / shares[i.system] for i in found]
    if not any(weights):  # none of the item's systems trains this level
        weights = [1.0] * len(found)
    return found, weights


def evaluators(
    issuers: Sequence[IssuerSpec], code: str, grade: int | None
) -> tuple[list[IssuerSpec], list[float]]:
    """Evaluation institutions for ``code``; employers' own certify fewer people."""
    found = accredited(issuers, IssuerKind.EVALUATION_INSTITUTION, code, grade)
    return found, [
        _SOCIAL_EVALUATOR_WEIGHT if i.certificate_prefix == "S" else 1.0 for i in found
    ]


def choose(
    rng: random.Random, weighted: tuple[list[IssuerSpec], list[float]]
) -> IssuerSpec:
    """One institution, drawn by weight."""
    return rng.choices(weighted[0], weights=weighted[1])[0]
