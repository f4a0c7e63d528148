"""`skillpass issuer …`: the authority registers institutions and manages their keys.

Every change publishes a new trust-list version; export it with
`skillpass trust-list export` for verifiers who work offline.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from issuers.keys import raw_public
from passport.cli.common import (
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
    usage_errors,
)
from schemas.events import EventKind
from schemas.trust import Accreditation, IssuerKind, TrustedIssuer

if TYPE_CHECKING:
    from passport.issuer_admin import IssuerChanged

issuer_app = typer.Typer(
    help="Institutions on the trust list and their keys (the authority's acts).",
    no_args_is_help=True,
)
key_app = typer.Typer(help="An issuer's keys: add, rotate, retire, compromise.")
issuer_app.add_typer(key_app, name="key")

IssuerArg = Annotated[str, typer.Argument(metavar="ISSUER_ID", help="The issuer id.")]
KeyArg = Annotated[str, typer.Argument(metavar="KEY_ID", help="8 hex digits.")]
PublicKeyOption = Annotated[
    str,
    typer.Option(
        "--public-key",
        help="The new key: base64 of its 32 raw bytes, or a PEM public key file.",
    ),
]
WhenOption = Annotated[
    str | None,
    typer.Option("--at", help="When, ISO 8601 with a zone (default: now)."),
]


def parse_time(value: str | None, name: str) -> dt.datetime:
    """An ISO 8601 time with a zone, as UTC; now when None; else a usage error."""
    if value is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name}: {value!r} is not an ISO 8601 time like 2026-12-01T08:00:00Z")
    if when.tzinfo is None:
        fail(f"{name}: {value!r} has no time zone; add Z or +08:00")
    return when.astimezone(dt.UTC)


def read_public_key(value: str) -> bytes:
    """32 raw bytes from base64, or from a PEM public key file."""
    path = Path(value)
    if path.is_file():
        with usage_errors():
            loaded = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(loaded, Ed25519PublicKey):
            fail(f"--public-key: {path} is not an Ed25519 public key")
        return raw_public(loaded)
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 32:
        fail(f"--public-key: {value!r} is neither a PEM file nor base64 of 32 bytes")
    return raw


def _describe(issuer: TrustedIssuer) -> str:
    flag = (
        " 信用代码待核查 credit code flagged for review" if issuer.uscc_flagged else ""
    )
    return f"{issuer.issuer_id} {issuer.name} ({issuer.kind}, {issuer.uscc}){flag}"


def _key_lines(issuer: TrustedIssuer) -> list[str]:
    lines = []
    for key in issuer.keys:
        until = f"{key.valid_until:%Y-%m-%dT%H:%M:%SZ}" if key.valid_until else "…"
        line = f"  key {key.key_id}: {key.valid_from:%Y-%m-%dT%H:%M:%SZ} – {until}"
        if key.compromised_since:
            line += (
                f", 已泄露 compromised since {key.compromised_since:%Y-%m-%dT%H:%M:%SZ}"
            )
        lines.append(line)
    return lines


@issuer_app.command("register")
def register(
    issuer_id: IssuerArg,
    name: Annotated[str, typer.Option(help="The institution's registered name.")],
    kind: Annotated[IssuerKind, typer.Option(help="What kind of institution.")],
    uscc: Annotated[str, typer.Option(help="统一社会信用代码, 18 characters.")],
    event_kind: Annotated[
        list[EventKind], typer.Option(help="An event kind it may sign (repeatable).")
    ],
    occupation: Annotated[
        list[str] | None,
        typer.Option(
            help="An occupation code it may sign for (repeatable; none: any)."
        ),
    ] = None,
    highest_level: Annotated[
        int | None,
        typer.Option(min=1, max=5, help="The highest skill level it may certify."),
    ] = None,
    system: Annotated[
        str | None, typer.Option(help="人社, 民政, 农委, 卫健, 医保 or 工会.")
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Register an institution; a failing credit-code check flags it for review."""
    from passport.issuer_admin import register as register_issuer

    with closing(open_service(db, home)) as service, usage_errors():
        changed = register_issuer(
            service,
            issuer_id=issuer_id,
            name=name,
            kind=kind,
            uscc=uscc,
            accreditation=Accreditation(
                event_kinds=event_kind,
                occupations=occupation or [],
                highest_level=highest_level,
            ),
            system=system,
            now=parse_time(None, "now"),
        )
    console.print(f"registered {_describe(changed.issuer)}")
    console.print(f"trust list v{changed.trust_list_version} published")


@issuer_app.command("list")
def list_issuers(db: DbOption = None, home: HomeOption = None) -> None:
    """The institutions on the newest trust list, one a line."""
    with closing(open_service(db, home)) as service:
        trust_list = service.trust_list()
    for issuer in trust_list.issuers:
        console.print(_describe(issuer))
    console.print(
        f"trust list v{trust_list.version}: {len(trust_list.issuers)} issuers"
    )


@issuer_app.command("show")
def show(issuer_id: IssuerArg, db: DbOption = None, home: HomeOption = None) -> None:
    """One institution: accreditation and keys with their windows."""
    from passport.issuer_admin import find_issuer

    with closing(open_service(db, home)) as service:
        trust_list = service.trust_list()
    with usage_errors():
        issuer = find_issuer(trust_list, issuer_id)
    scope = issuer.accreditation
    console.print(_describe(issuer))
    console.print(
        f"  accreditation: {', '.join(scope.event_kinds)}; occupations "
        f"{', '.join(scope.occupations) or 'any'}; highest level "
        f"{scope.highest_level or '—'}"
    )
    for line in _key_lines(issuer):
        console.print(line)


@key_app.command("add")
def add(
    issuer_id: IssuerArg,
    public_key: PublicKeyOption,
    valid_from: Annotated[
        str | None, typer.Option(help="Start of the window (default: now).")
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option(help="End of the window (default: open).")
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Add a public key with its validity window."""
    from passport.issuer_admin import add_key

    raw = read_public_key(public_key)
    start = parse_time(valid_from, "--valid-from")
    end = parse_time(valid_until, "--valid-until") if valid_until else None
    with closing(open_service(db, home)) as service, usage_errors():
        changed = add_key(
            service,
            issuer_id=issuer_id,
            public_key=raw,
            valid_from=start,
            valid_until=end,
        )
    _report(f"added key {changed.key_id} to {issuer_id}", changed)


@key_app.command("rotate")
def rotate(
    issuer_id: IssuerArg,
    key_id: KeyArg,
    public_key: PublicKeyOption,
    at: WhenOption = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Retire KEY_ID and add the new key from the same moment."""
    from passport.issuer_admin import rotate_key

    raw = read_public_key(public_key)
    when = parse_time(at, "--at")
    with closing(open_service(db, home)) as service, usage_errors():
        changed = rotate_key(
            service, issuer_id=issuer_id, key_id=key_id, public_key=raw, at=when
        )
    _report(f"rotated {issuer_id} from key {key_id} to {changed.key_id}", changed)


@key_app.command("retire")
def retire(
    issuer_id: IssuerArg,
    key_id: KeyArg,
    at: WhenOption = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """End KEY_ID's window; what it signed before stays valid."""
    from passport.issuer_admin import retire_key

    when = parse_time(at, "--at")
    with closing(open_service(db, home)) as service, usage_errors():
        changed = retire_key(service, issuer_id=issuer_id, key_id=key_id, at=when)
    _report(f"retired key {key_id} of {issuer_id}", changed)


@key_app.command("compromise")
def compromise(
    issuer_id: IssuerArg,
    key_id: KeyArg,
    since: Annotated[
        str, typer.Option(help="From when the key is not to be trusted (ISO 8601).")
    ],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Mark KEY_ID compromised from SINCE: entries logged after it are flagged."""
    from passport.issuer_admin import compromise_key

    when = parse_time(since, "--since")
    with closing(open_service(db, home)) as service, usage_errors():
        changed = compromise_key(
            service, issuer_id=issuer_id, key_id=key_id, since=when
        )
    _report(f"key {key_id} of {issuer_id} marked compromised", changed)


def _report(what: str, changed: IssuerChanged) -> None:
    console.print(what)
    for line in _key_lines(changed.issuer):
        console.print(line)
    console.print(f"trust list v{changed.trust_list_version} published")
