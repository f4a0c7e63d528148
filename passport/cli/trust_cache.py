"""The trust list `skillpass verify` works from: a file, or a cached copy.

The cache is one file (``SKILLPASS_TRUST_CACHE``, else
``$XDG_CACHE_HOME/skillpass/trust-list.json``). ``--trust-list-url``
refreshes it: the fetched list must carry the signature of the cached
list's authority (or of the pinned key) and a version no older than the
cached one, so a refresh can neither switch authorities nor roll back.
"""

from __future__ import annotations

import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from schemas.trust import TrustList
from verify.errors import MalformedInput, UntrustedSigner
from verify.trust import load_trust_list, read_trust_list

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 10
MAX_SIZE = 4 * 1024 * 1024
"""The largest trust list a refresh accepts, in bytes."""


@dataclass(frozen=True)
class Trusted:
    """A verified trust list, where it came from, and any warning about it."""

    trust_list: TrustList
    source: str
    warning: str | None = None


def cache_path() -> Path:
    """Where the cached trust list lives."""
    explicit = os.environ.get("SKILLPASS_TRUST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "skillpass" / "trust-list.json"


def _fetch(url: str) -> bytes:
    if not url.lower().startswith(("https://", "http://")):
        raise MalformedInput(f"--trust-list-url: {url!r} is not an HTTP(S) URL")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            data: bytes = response.read(MAX_SIZE + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OSError(f"cannot fetch {url}: {exc}") from exc
    if len(data) > MAX_SIZE:
        raise MalformedInput(f"{url}: larger than {MAX_SIZE} bytes")
    return data


def refresh(url: str, cache: Path, *, authority_key: str | None) -> TrustList:
    """Fetch, verify and cache the trust list at ``url``.

    1. The cached list, if any, is read and verified (pinned key if given).
    2. The fetched list verifies with the pinned key, else with the cached
       list's authority key, else with the key it names itself.
    3. Its version is no older than the cached one.
    4. It replaces the cache whole (written aside, then renamed).
    """
    cached = (
        load_trust_list(cache, authority_key=authority_key) if cache.exists() else None
    )
    data = _fetch(url)
    pin = authority_key or (cached.authority.public_key if cached else None)
    fetched = read_trust_list(data, authority_key=pin, source=url)
    if cached is not None and fetched.version < cached.version:
        raise UntrustedSigner(
            f"{url}: version {fetched.version} is older than the cached "
            f"version {cached.version}"
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "wb", dir=cache.parent, prefix=".trust-list.", delete=False
    ) as temporary:
        temporary.write(data)
    os.replace(temporary.name, cache)
    logger.debug("cached trust list version %s from %s", fetched.version, url)
    return fetched


def trusted_list(
    *,
    file: Path | None,
    url: str | None,
    authority_key: str | None,
) -> Trusted:
    """The trust list to verify with: FILE, else the cache (refreshed from URL).

    A refresh that cannot reach the URL falls back on the cache, with a
    warning; a refresh that fetches something untrustworthy raises.
    """
    if file is not None:
        return Trusted(load_trust_list(file, authority_key=authority_key), str(file))
    cache = cache_path()
    if url is not None:
        try:
            return Trusted(
                refresh(url, cache, authority_key=authority_key), f"{url} (cached)"
            )
        except OSError as exc:
            if not cache.exists():
                raise MalformedInput(f"--trust-list-url: {exc}; no cache") from exc
            warning = f"{exc}; using the cached trust list"
            cached = load_trust_list(cache, authority_key=authority_key)
            return Trusted(cached, f"cache {cache}", warning)
    if not cache.exists():
        raise MalformedInput(
            f"trust list: none cached at {cache}; pass --trust-list FILE or "
            "--trust-list-url URL"
        )
    return Trusted(
        load_trust_list(cache, authority_key=authority_key), f"cache {cache}"
    )
