"""Workers: pseudonymous ids, and the separate table of who they are.

A worker id is HMAC-SHA256 of the normalised ID number under a secret key,
cut to 128 bits: stable, and useless to anyone who lacks the key, since
ID numbers are too few to hide behind a plain hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from collections.abc import Iterator, Sequence

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from passport.tables import WorkerIdentityRow
from schemas.identifiers import IdentifierError, normalize_id_number
from schemas.text import MAX_NAME


class IdentityConflict(IdentifierError):
    """An ID number already registered with different personal data."""


class IdentityErased(IdentityConflict):
    """An ID number whose personal data was erased: it stays unregistered."""


def worker_id_for(id_number: str, pseudonym_key: bytes) -> str:
    """The pseudonymous worker id of an ID number (normalised first)."""
    return _pseudonym(normalize_id_number(id_number), pseudonym_key)


def _pseudonym(normalised: str, pseudonym_key: bytes) -> str:
    digest = hmac.new(pseudonym_key, normalised.encode(), hashlib.sha256).digest()
    return digest[:16].hex()


def check_name(raw: str) -> str:
    """A name as it will be printed, surrounding spaces removed; raise if unfit.

    No Unicode normalisation: NFC would turn compatibility ideographs such as
    U+F900 into other characters, and a passport must print the name as given.
    """
    name = raw.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise IdentifierError(
            f"name: expected 1 to {MAX_NAME} characters, got {len(name)}"
        )
    for char in name:
        category = unicodedata.category(char)
        # controls, format marks, surrogates, private use and unassigned
        if category[0] == "C" or not (char.isprintable() or char == " "):
            raise IdentifierError(
                f"name: character U+{ord(char):04X} ({category}) cannot be printed"
            )
    return name


def register_worker(
    session: Session,
    *,
    id_number: str,
    name: str,
    pseudonym_key: bytes,
    now: dt.datetime,
) -> str:
    """Record the person behind a worker id (idempotent); return the id."""
    worker_id = worker_id_for(id_number, pseudonym_key)
    name = check_name(name)
    known = session.get(WorkerIdentityRow, worker_id)
    if known is None:
        session.add(
            WorkerIdentityRow(
                worker_id=worker_id,
                id_number=normalize_id_number(id_number),
                name=name,
                registered_at=now,
            )
        )
    elif known.erased_at is not None:
        # its worker id would link the person to the log again
        raise IdentityErased(
            "id number: its personal data was erased at the person's request; "
            "it cannot be registered again"
        )
    elif known.name is not None and known.name != name:
        raise IdentityConflict(
            "name: this ID number is registered under another name; "
            "a change of name needs the authority"
        )
    return worker_id


def masked_name(name: str) -> str:
    """The name with all but its first and last characters hidden: 张*明."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def register_many(
    session: Session,
    people: Sequence[tuple[str, str]],
    *,
    pseudonym_key: bytes,
    now: dt.datetime,
    written: Sequence[str | None] = (),
) -> list[str | IdentifierError]:
    """``register_worker`` for many people in two queries; each gets an id or error.

    Bulk imports use it: one person's conflict must not stop the others.
    ``written`` gives, person by person, the name as the roster wrote it
    where cleaning changed it, kept beside the cleaned name.
    """
    results: list[str | IdentifierError] = []
    prepared: list[tuple[str, str, str] | None] = []
    for id_number, name in people:
        try:
            normalised = normalize_id_number(id_number)
            prepared.append(
                (_pseudonym(normalised, pseudonym_key), normalised, check_name(name))
            )
        except IdentifierError as exc:
            prepared.append(None)
            results.append(exc)
            continue
        results.append("")
    wanted = {p[0] for p in prepared if p is not None}
    known = {
        row.worker_id: row
        for chunk in _chunks(sorted(wanted), 500)
        for row in session.scalars(
            select(WorkerIdentityRow).where(WorkerIdentityRow.worker_id.in_(chunk))
        )
    }
    added: dict[str, str] = {}
    new_rows = []
    for index, item in enumerate(prepared):
        if item is None:
            continue
        worker_id, normalised, name = item
        as_written = written[index] if index < len(written) else None
        row = known.get(worker_id)
        held = row.name if row is not None else added.get(worker_id)
        if row is not None and row.erased_at is not None:
            results[index] = IdentityErased(
                "id number: its personal data was erased at the person's request; "
                "it cannot be registered again"
            )
        elif held is not None and held != name:
            results[index] = IdentityConflict(
                "name: this ID number is registered under another name; "
                "a change of name needs the authority"
            )
        else:
            results[index] = worker_id
            if row is None and worker_id not in added:
                added[worker_id] = name
                new_rows.append(
                    {
                        "worker_id": worker_id,
                        "id_number": normalised,
                        "name": name,
                        "name_as_written": as_written,
                        "registered_at": now,
                    }
                )
    if new_rows:
        session.execute(insert(_IDENTITIES), new_rows)
    return results


_IDENTITIES = Table(
    "worker_identities", WorkerIdentityRow.metadata, extend_existing=True
)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def mentions_name(value: object, name: str | None) -> bool:
    """Whether a JSON value holds ``name`` in any of its strings.

    Both sides are compared NFKC-normalised and without whitespace, so that
    spaced-out or full-width spellings of the name are found too.
    """
    wanted = _squeezed(name or "")
    if len(wanted) < 2:
        return False  # a one-character name would match ordinary words
    return any(wanted in _squeezed(text) for text in _strings(value))


def _squeezed(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _strings(value: object) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
