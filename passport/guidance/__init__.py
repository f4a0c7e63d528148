"""Promotion guidance on the eight-level ladder from a worker's own ledger records."""

from passport.guidance.describe import describe
from passport.guidance.engine import (
    ConditionStatus,
    Guidance,
    PathStatus,
    guidance_for,
)
from passport.guidance.rules import GuidanceError, NoRulesError, RuleFileError

__all__ = [
    "ConditionStatus",
    "Guidance",
    "GuidanceError",
    "NoRulesError",
    "PathStatus",
    "RuleFileError",
    "describe",
    "guidance_for",
]
