"""The `skillpass` command line.

Commands import what only they need (the web server, the PDF renderer, the
demo) when they run, so that every command, `skillpass verify` on an
employer's laptop above all, starts without loading the others.
"""

from __future__ import annotations

from typing import Annotated

import typer

from passport.cli import (
    admin_cmds,
    check_cmds,
    demo_cmd,
    import_cmd,
    issuer_cmds,
    monitor_cmd,
    passport_cmds,
    report_cmds,
    review_cmds,
    sign_cmd,
    submit_cmd,
    token_cmds,
    vc_cmds,
    verify_cmd,
    worker_cmds,
)
from passport.cli.common import configure_logging

app = typer.Typer(
    help="skillpass: lifelong skills e-archive and skills passport.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log everything.")
    ] = False,
) -> None:
    """Set up logging for every command."""
    configure_logging(verbose)


app.command()(demo_cmd.demo)
app.command()(admin_cmds.init)
app.command()(admin_cmds.serve)
app.command()(admin_cmds.audit)
app.command()(submit_cmd.submit)
app.command("import")(import_cmd.import_roster)
app.command()(verify_cmd.verify)
app.command()(passport_cmds.guidance)
app.command("guidance-push")(passport_cmds.guidance_push)
app.add_typer(passport_cmds.passport_app, name="passport")
app.add_typer(verify_cmd.trust_list_app, name="trust-list")
app.add_typer(monitor_cmd.log_app, name="log")
app.add_typer(worker_cmds.worker_app, name="worker")
app.add_typer(vc_cmds.vc_app, name="vc")
app.add_typer(check_cmds.check_app, name="check")
app.add_typer(review_cmds.review_app, name="review")
app.add_typer(report_cmds.report_app, name="report")
app.add_typer(issuer_cmds.issuer_app, name="issuer")
app.add_typer(token_cmds.token_app, name="token")
app.command()(sign_cmd.sign)
app.command()(sign_cmd.keygen)
