"""Settings from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from verify.qrtext import VERIFY_URL_PATTERN

DEFAULT_ORIGIN = "skillpass.cq.example/log"
DEFAULT_VERIFY_URL = "HTTP://127.0.0.1:8000"
AUTHORITY_NAME = "重庆市人力资源和社会保障局 Chongqing HRSS (demo)"


class SettingsError(ValueError):
    """A setting with a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    """Where data and keys live and how the service names itself.

    ``log_origin`` and ``verify_url`` are fixed in the trust list when the
    service is created; None means "as fixed, or the default at creation".
    """

    home: Path
    db_url: str
    log_origin: str | None = None
    verify_url: str | None = None
    authority_name: str = AUTHORITY_NAME
    risk_config: Path | None = None
    """The risk rules' thresholds (SKILLPASS_RISK_CONFIG); None: the defaults."""

    @property
    def keys_dir(self) -> Path:
        """The directory of encrypted private keys."""
        return self.home / "keys"

    @classmethod
    def load(cls, *, db: str | None = None, home: Path | None = None) -> Settings:
        """Settings from arguments, then ``SKILLPASS_*`` variables, then defaults."""
        home = home or Path(os.environ.get("SKILLPASS_HOME", ".skillpass"))
        db_url = (
            db or os.environ.get("SKILLPASS_DB") or f"sqlite:///{home / 'skillpass.db'}"
        )
        verify_url = os.environ.get("SKILLPASS_VERIFY_URL")
        return cls(
            home=home,
            db_url=db_url,
            log_origin=os.environ.get("SKILLPASS_LOG_ORIGIN") or None,
            verify_url=check_verify_url(verify_url) if verify_url else None,
            risk_config=Path(risk)
            if (risk := os.environ.get("SKILLPASS_RISK_CONFIG"))
            else None,
        )


def check_verify_url(value: str) -> str:
    """The URL the QR codes open, uppercase, without a final slash; or raise."""
    url = value.strip().rstrip("/").upper()
    if not VERIFY_URL_PATTERN.fullmatch(url):
        raise SettingsError(
            f"SKILLPASS_VERIFY_URL: {value!r} is not HTTP(S)://HOST[:PORT][/PATH] "
            "in letters, digits and $%*+-./:"
        )
    return url
