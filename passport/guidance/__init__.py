"""Promotion guidance on the eight-level ladder from a worker's own ledger records."""

from passport.guidance.conditions import ConditionStatus
from passport.guidance.describe import describe, describe_worker, guidance_notices
from passport.guidance.engine import (
    Guidance,
    PathStatus,
    guidance_for,
    worker_guidance,
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
    "describe_worker",
    "guidance_for",
    "guidance_notices",
    "worker_guidance",
]
