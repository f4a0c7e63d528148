"""Settings from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ORIGIN = "skillpass.cq.example/log"
DEFAULT_VERIFY_URL = "HTTP://127.0.0.1:8000"
AUTHORITY_NAME = "重庆市人力资源和社会保障局 Chongqing HRSS (demo)"


@dataclass(frozen=True)
class Settings:
    """Where data and keys live and how the service names itself."""

    home: Path
    db_url: str
    log_origin: str = DEFAULT_ORIGIN
    verify_url: str = DEFAULT_VERIFY_URL
    authority_name: str = AUTHORITY_NAME

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
        return cls(
            home=home,
            db_url=db_url,
            log_origin=os.environ.get("SKILLPASS_LOG_ORIGIN", DEFAULT_ORIGIN),
            verify_url=os.environ.get(
                "SKILLPASS_VERIFY_URL", DEFAULT_VERIFY_URL
            ).upper(),
        )
