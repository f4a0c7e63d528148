"""`skillpass check`: certificate checks (证书电子档案核查) by number and name.

Run by the service's operator on its own database, so no rate limit applies
here; institutions use the rate-limited API.
"""

from __future__ import annotations

from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from passport.cli.common import (
    NEGATIVE,
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
    usage_errors,
)

check_app = typer.Typer(
    help="Certificate checks by certificate number and name.", no_args_is_help=True
)


@check_app.command("certificate")
def certificate(
    certificate_no: Annotated[str, typer.Argument(help="The certificate number.")],
    name: Annotated[str, typer.Argument(help="The holder's name as you have it.")],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Check one certificate number against a name; exits 1 unless they match."""
    from passport.checks import RESULT_TEXT, CheckRequest, check_certificates

    with closing(open_service(db, home)) as service, usage_errors():
        [result] = check_certificates(service, [CheckRequest(certificate_no, name)])
    zh, en = RESULT_TEXT[result.result]
    revoked = f" ({result.revoked_on})" if result.revoked_on else ""
    # an invalid row's own detail already says what is wrong, zh / en
    problem = f" ({result.detail})" if result.detail else ""
    console.print(f"{result.result}: {zh}{revoked} / {en}{problem}")
    if result.result != "match":
        raise typer.Exit(NEGATIVE)


@check_app.command("batch")
def batch(
    table: Annotated[
        Path, typer.Argument(help="CSV or XLSX with 证书编号 and 姓名 columns.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The result table to write.")],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Check every row of a table; write the results in the same format."""
    from passport.checks import check_certificates
    from passport.checktable import kind_of, read_table, write_table

    with usage_errors():
        data = table.read_bytes()
        kind = kind_of(table.name, data)
        rows = read_table(data, kind)
    if out.suffix.lower() != f".{kind}":
        fail(f"--out: expected a .{kind} file for a {kind} table, got {out.name}")
    with closing(open_service(db, home)) as service, usage_errors():
        results = check_certificates(service, rows)
        out.write_bytes(write_table(results, kind))
    counts = Counter(r.result for r in results)
    summary = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    console.print(f"{len(results)} rows checked ({summary}); results in {out}")
