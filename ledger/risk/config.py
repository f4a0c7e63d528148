"""The thresholds of the risk rules, from a TOML file (``default.toml`` if none)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ledger.errors import LedgerError


class RiskConfigError(LedgerError):
    """A risk configuration that names an unknown rule or setting."""


@dataclass(frozen=True)
class RiskConfig:
    """Each rule's settings by rule name; a missing or disabled rule does not run."""

    rules: dict[str, dict[str, Any]]

    def enabled(self, rule: str) -> bool:
        """Whether ``rule`` runs."""
        return bool(self.rules.get(rule, {}).get("enabled", False))

    def setting(self, rule: str, name: str) -> int:
        """A whole-number threshold of ``rule``."""
        return int(self.rules[rule][name])


def default_text() -> str:
    """The shipped configuration, with its comments."""
    return resources.files("ledger.risk").joinpath("default.toml").read_text("utf-8")


def load_risk_config(path: Path | None = None) -> RiskConfig:
    """The defaults, overridden by ``path``; raise RiskConfigError on unknown keys."""
    defaults = tomllib.loads(default_text())
    if path is None:
        return RiskConfig(defaults)
    try:
        override = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RiskConfigError(f"risk config: cannot read {path}: {exc}") from exc
    rules = {name: dict(values) for name, values in defaults.items()}
    for name, values in override.items():
        if name not in defaults or not isinstance(values, dict):
            raise RiskConfigError(f"risk config: {path} names no rule {name!r}")
        for key, value in values.items():
            if key not in defaults[name]:
                raise RiskConfigError(
                    f"risk config: rule {name} has no setting {key!r}"
                )
            if type(value) is not type(defaults[name][key]):
                raise RiskConfigError(
                    f"risk config: {name}.{key} expected "
                    f"{type(defaults[name][key]).__name__}, got {value!r}"
                )
            rules[name][key] = value
    return RiskConfig(rules)
