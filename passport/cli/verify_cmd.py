"""`skillpass verify` and `skillpass trust-list export`."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import closing
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from passport.cli.common import (
    NEGATIVE,
    OK,
    USAGE,
    DbOption,
    HomeOption,
    console,
    errors,
    fail,
    open_service,
    usage_errors,
)
from passport.cli.trust_cache import trusted_list
from passport.timefmt import LABEL, LABEL_EN, china_minute
from passport.verdict import STATUS_TEXT, Verdict, verify_offline
from schemas.catalogue import load_catalogue
from schemas.trust import TrustList
from verify.errors import MalformedInput, QrNotFound, VerificationError
from verify.qrtext import QR_PATH
from verify.reader import read_qr_text

trust_list_app = typer.Typer(help="The signed trust list.", no_args_is_help=True)

YES_NO = {True: "是 yes", False: "否 no", None: "—"}
STALE_AFTER = dt.timedelta(days=30)
"""A trust list older than this still verifies, with a warning to refresh it."""


def verify(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A passport PDF, an image of its QR, the QR text, or a "
            "credential (.json, checked with the status-*.json beside it).",
        ),
    ],
    trust_list: Annotated[
        Path | None,
        typer.Option(
            "--trust-list", help="The signed trust-list file (default: the cache)."
        ),
    ] = None,
    trust_list_url: Annotated[
        str | None,
        typer.Option(
            "--trust-list-url", help="Refresh the cached trust list from this URL."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    authority_key: Annotated[
        str | None,
        typer.Option(help="Pin the authority's public key (base64) to trust."),
    ] = None,
) -> None:
    """Check a passport or a credential offline: exit 0 if valid, 1 if not.

    A trust list that fails its own signature is a negative answer too
    (exit 1): nothing it vouches for can be trusted. A file that cannot be
    read, or a malformed pinned key, is a usage error (exit 2).
    """
    if source.lower().endswith(".json") and Path(source).is_file():
        from passport.cli.vc_cmds import verify_file

        verify_file(
            Path(source),
            trust_list=trust_list,
            status_lists=None,
            as_json=as_json,
            authority_key=authority_key,
        )
    now = dt.datetime.now(dt.UTC)
    try:
        found = trusted_list(
            file=trust_list, url=trust_list_url, authority_key=authority_key
        )
    except MalformedInput as exc:
        _stop(str(exc), USAGE, as_json)
    except VerificationError as exc:
        _stop(str(exc), NEGATIVE, as_json)
    if found.warning:
        errors.print(f"warning: {found.warning}", style="yellow")
    verdict = _verdict(source, found.trust_list, now, as_json)
    if as_json:
        answer = verdict.to_json(now=now)
        answer["trust_list"]["source"] = found.source
        answer["trust_list"]["stale"] = _stale(verdict, now)
        console.print_json(json.dumps(answer, ensure_ascii=False))
    else:
        print_verdict(verdict, now, source=found.source)
    raise typer.Exit(OK if verdict.valid else NEGATIVE)


def _stale(verdict: Verdict, now: dt.datetime) -> bool:
    """Whether the trust list is older than a verifier should rely on."""
    return now - verdict.trust_list_issued_at > STALE_AFTER


def _stop(message: str, code: int, as_json: bool) -> NoReturn:
    """Leave with ``code``; with ``--json`` the reason goes to stdout as JSON too."""
    if as_json:
        reason = {"code": "usage" if code == USAGE else "untrusted", "message": message}
        console.print_json(json.dumps({"valid": False, "reasons": [reason]}))
    fail(message, code)


def _verdict(
    source: str, trusted: TrustList, now: dt.datetime, as_json: bool
) -> Verdict:
    """Read INPUT and verify it; a file that is missing or unreadable is a usage error.

    Text that names no existing file is taken as QR text when it holds the
    ``/V/`` of our URLs, and as a mistyped file name otherwise.
    """
    if not Path(source).is_file() and QR_PATH not in source.upper():
        _stop(
            f"input: {source!r} is not a file, nor QR text with {QR_PATH}",
            USAGE,
            as_json,
        )
    try:
        qr_text = read_qr_text(source)
    except QrNotFound as exc:
        return Verdict.refused(trusted, exc)
    except MalformedInput as exc:
        _stop(str(exc), USAGE, as_json)
    return verify_offline(qr_text, trusted, now=now)


def print_verdict(
    verdict: Verdict, now: dt.datetime, *, source: str | None = None
) -> None:
    """Print a verdict for a person: the answer, the reasons, whose, what it shows.

    ``source`` names where an offline verdict's trust list came from.
    """
    zh, en = STATUS_TEXT.get(verdict.status, (verdict.status, verdict.status))
    lines = [
        f"{'✓' if verdict.valid else '✗'} {zh} {en}",
        f"  真实 Authentic: {YES_NO[verdict.authentic]}; "
        f"有效期内 Current: {YES_NO[verdict.current]}",
    ]
    lines += [f"  原因 reason [{f.code}]: {f.message}" for f in verdict.findings]
    passport = verdict.passport
    if passport is not None:
        lines.append(
            f"  持证人 Holder: {passport.masked_name}（身份证尾号 ID ending "
            f"{passport.id_last4}）; 有效至 valid until "
            f"{china_minute(passport.expires_at)} {LABEL} {LABEL_EN}"
        )
        catalogue = load_catalogue()
        if not passport.certificates:
            lines.append("  二维码未载证书 The QR carries no certificates")
        for c in passport.certificates:
            level = f" {catalogue.level_name(c.skill_level)}" if c.skill_level else ""
            lines.append(
                f"  证书 Certificate {c.certificate_no}: "
                f"{catalogue.display_name(c.code)}{level}, {c.issued_on}"
            )
    age = (now - verdict.trust_list_issued_at).days
    if verdict.online:
        lines.append(
            "  在线核验：已查询签发记录与撤销状态 checked online against the "
            "service's records and revocations"
        )
    else:
        if passport is not None:
            lines.append(
                "  仅核验二维码所载内容，以此为准 Only what the QR carries is "
                "verified: trust it over anything else printed"
            )
        origin = f", from {source}" if source else ""
        lines.append(
            f"  信任列表 Trust list v{verdict.trust_list_version}, {age} 天前签发 "
            f"issued {age} days ago{origin}; 离线核验，未查询撤销状态 "
            "checked offline, revocation not checked"
        )
        if _stale(verdict, now):
            lines.append(
                f"  信任列表已超过 {STALE_AFTER.days} 天，请更新 The trust list is "
                f"over {STALE_AFTER.days} days old: refresh it with --trust-list-url"
            )
    # Everything printed comes from the input: never read it as rich markup.
    style = "green" if verdict.valid else "red"
    console.print(lines[0], style=style)
    for line in lines[1:]:
        console.print(line)


@trust_list_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="Where to write the signed trust list.")],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Write the newest signed trust list to FILE."""
    with closing(open_service(db, home)) as service, usage_errors():
        version = service.export_trust_list(file)
    console.print(f"trust list v{version} written to {file}")
