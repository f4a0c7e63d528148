"""`skillpass vc export` and `skillpass vc verify`: W3C Verifiable Credentials."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from passport.cli.common import (
    NEGATIVE,
    OK,
    USAGE,
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
    resolve_worker,
    usage_errors,
)
from schemas.trust import TrustList
from verify.errors import MalformedInput, VerificationError, describe_json_error
from verify.trust import load_trust_list

if TYPE_CHECKING:
    from verify.credential import CredentialCheck

vc_app = typer.Typer(
    help="W3C Verifiable Credentials (Open Badges 3.0).", no_args_is_help=True
)

StatusListOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--status-list",
        help="A status list credential file (default: status-*.json beside FILE).",
    ),
]


@vc_app.command("export")
def export(
    worker: Annotated[
        str, typer.Argument(help="Worker id, or the worker's ID number.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The folder to write to.")],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Write a worker's live credentials and their status lists to a folder."""
    from passport.credentials import export_credentials

    with closing(open_service(db, home)) as service:
        worker_id = resolve_worker(service, worker)
        with usage_errors():
            written = export_credentials(service, worker_id, out)
    count = sum(p.name.startswith("credential-") for p in written)
    console.print(f"{count} credentials and their status lists written to {out}")


@vc_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="A credential (JSON) file.")],
    trust_list: Annotated[
        Path | None,
        typer.Option(
            "--trust-list",
            help=(
                "The signed trust-list file; without it the issuer is not "
                "checked and the answer is negative (exit 1)."
            ),
        ),
    ] = None,
    status_list: StatusListOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    authority_key: Annotated[
        str | None,
        typer.Option(help="Pin the authority's public key (base64) to trust."),
    ] = None,
) -> None:
    """Check a credential offline: exit 0 if valid, 1 if not, 2 on bad input.

    Without ``--trust-list`` a credential made elsewhere can be checked too:
    its proofs, that their keys are its issuer's, its dates and status; but
    anyone can sign under any issuer name, so the answer is then negative
    (exit 1, ``issuer_unchecked``): not verified against a trust list.
    """
    verify_file(
        file,
        trust_list=trust_list,
        status_lists=status_list,
        as_json=as_json,
        authority_key=authority_key,
    )


def verify_file(
    file: Path,
    *,
    trust_list: Path | None,
    status_lists: list[Path] | None,
    as_json: bool,
    authority_key: str | None,
) -> NoReturn:
    """Verify a credential file against a trust list and leave with the exit code.

    1. The trust list, if given, must carry its authority's signature (else
       exit 1).
    2. The credential and the status lists are read as JSON (else exit 2);
       without ``--status-list``, the ``status-*.json`` beside the file.
    3. ``verify_credential`` answers; any reason it gives is exit 1.
    4. Without a trust list the issuer is unchecked: exit 1 all the same.
    """
    # JSON-LD processing is loaded only by the commands that need it.
    from verify.credential import verify_credential

    now = dt.datetime.now(dt.UTC)
    trusted = None
    try:
        if trust_list is not None:
            trusted = load_trust_list(trust_list, authority_key=authority_key)
    except MalformedInput as exc:
        _stop(str(exc), USAGE, as_json)
    except VerificationError as exc:
        _stop(str(exc), NEGATIVE, as_json)
    credential = _read_json(file, as_json)
    paths = (
        sorted(file.parent.glob("status-*.json"))
        if status_lists is None
        else (status_lists)
    )
    lists = {str(doc.get("id")): doc for doc in (_read_json(p, as_json) for p in paths)}
    try:
        check = verify_credential(
            credential, trust_list=trusted, status_lists=lists, at=now
        )
    except VerificationError as exc:
        _report_refused(exc, trusted, now, as_json)
    _report_valid(check, trusted, now, as_json)


def _read_json(path: Path, as_json: bool) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        _stop(f"{path}: {exc.strerror}", USAGE, as_json)
    except ValueError as exc:
        _stop(f"{path}: {describe_json_error(exc)}", USAGE, as_json)
    if not isinstance(document, dict):
        _stop(f"{path}: not a JSON object", USAGE, as_json)
    return document


def _age(trusted: TrustList | None, now: dt.datetime) -> str:
    if trusted is None:
        return "未使用信任列表 No trust list: the issuer was not checked"
    days = (now - trusted.issued_at).days
    return (
        f"信任列表 Trust list v{trusted.version}, {days} 天前签发 "
        f"issued {days} days ago"
    )


UNCHECKED_ISSUER = (
    "issuer: no trust list given, so whoever signed may have written any "
    "issuer name; verify with --trust-list"
)


def _report_valid(
    check: CredentialCheck, trusted: TrustList | None, now: dt.datetime, as_json: bool
) -> NoReturn:
    code = OK if trusted is not None else NEGATIVE
    if as_json:
        unchecked = [{"code": "issuer_unchecked", "message": UNCHECKED_ISSUER}]
        console.print_json(
            json.dumps(
                {
                    "valid": trusted is not None,
                    "reasons": [] if trusted is not None else unchecked,
                    "credential_id": check.credential_id,
                    "issuer": check.issuer_id,
                    "trusted_as": check.trusted_as,
                    "cryptosuites": [p.cryptosuite for p in check.proofs],
                    "status_checked": list(check.status_checked),
                    "status_unchecked": list(check.status_unchecked),
                    "trust_list_version": trusted.version if trusted else None,
                },
                ensure_ascii=False,
            )
        )
        raise typer.Exit(code)
    suites = ", ".join(p.cryptosuite for p in check.proofs)
    if trusted is None:
        console.print(
            "✗ 未经信任列表核验 Not verified against a trust list", style="red"
        )
        console.print(
            "  原因 reason [issuer_unchecked]: 签名有效，但签发方未核验 "
            f"signatures valid, but {UNCHECKED_ISSUER}"
        )
    else:
        console.print("✓ 有效 Valid", style="green")
    console.print(f"  凭证 Credential: {check.credential_id}")
    console.print(f"  签发方 Issuer: {check.issuer_name or ''} {check.issuer_id}")
    console.print(
        f"  信任 Trusted as: {check.trusted_as or '—'}; 签名 proofs: {suites}"
    )
    if check.status_unchecked:
        console.print(
            "  未查询撤销状态 revocation not checked: no status list for "
            + ", ".join(check.status_unchecked)
        )
    elif check.status_checked:
        console.print("  未被撤销 Not revoked (status list checked)")
    else:
        console.print("  无撤销状态项 The credential has no status entry")
    console.print(f"  {_age(trusted, now)}")
    raise typer.Exit(code)


def _report_refused(
    error: VerificationError,
    trusted: TrustList | None,
    now: dt.datetime,
    as_json: bool,
) -> NoReturn:
    if as_json:
        reason = {"code": error.reason, "message": str(error)}
        console.print_json(
            json.dumps({"valid": False, "reasons": [reason]}, ensure_ascii=False)
        )
        raise typer.Exit(NEGATIVE)
    console.print("✗ 无效 Invalid", style="red")
    console.print(f"  原因 reason [{error.reason}]: {error}")
    console.print(f"  {_age(trusted, now)}")
    raise typer.Exit(NEGATIVE)


def _stop(message: str, code: int, as_json: bool) -> NoReturn:
    if as_json:
        reason = {"code": "usage" if code == USAGE else "untrusted", "message": message}
        console.print_json(json.dumps({"valid": False, "reasons": [reason]}))
    fail(message, code)
