"""`skillpass log monitor`: watch a log from outside for forks and rollbacks.

Exit codes: 0 the log only grew, 1 a fork or rollback (the monitor stops
there), 2 a usage error; an unreachable log is one only with ``--once``.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer

from passport.cli.common import NEGATIVE, OK, console, errors, fail
from passport.config import Settings, SettingsError
from passport.monitor import (
    LogUnavailable,
    Monitor,
    MonitorError,
    Observation,
    Status,
    default_state,
)
from passport.timefmt import CHINA
from verify.errors import VerificationError
from verify.log import describe
from verify.trust import load_trust_list

log_app = typer.Typer(
    help="The public log, watched from outside.", no_args_is_help=True
)

ALARM = {
    Status.ROLLBACK: "日志回滚 LOG ROLLED BACK",
    Status.FORK: "日志分叉 LOG FORKED",
}


@log_app.command("monitor")
def monitor(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL", help="Base URL of the log's service, e.g. http://host:8000."
        ),
    ],
    trust_list: Annotated[
        Path, typer.Option("--trust-list", help="The signed trust-list file.")
    ],
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="Where the last verified checkpoint is kept "
            "(default: SKILLPASS_HOME/monitor/<origin>.checkpoint).",
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between checks.")
    ] = 60.0,
    once: Annotated[
        bool, typer.Option("--once", help="Check once, then exit.")
    ] = False,
) -> None:
    """Check that the log only grows: exit 1 on a fork or rollback.

    The first run trusts what the log serves; each later checkpoint must
    carry the log's signature and extend the stored one by a verified
    consistency proof (RFC 9162).
    """
    try:
        trusted = load_trust_list(trust_list)
        if state is None:
            state = default_state(Settings.load().home, trusted.log.origin)
        watcher = Monitor(url, trusted, state)
    except (VerificationError, SettingsError, MonitorError) as exc:
        fail(str(exc))

    try:
        _watch(watcher, interval=interval, once=once)
    except KeyboardInterrupt:
        _say("已停止 stopped")


def _watch(watcher: Monitor, *, interval: float, once: bool) -> None:
    """Check every ``interval`` seconds; leave at a fork or rollback, or after once."""
    while True:
        try:
            observation = watcher.check()
        except LogUnavailable as exc:
            if once:
                fail(str(exc))
            _say(f"无法核验 cannot check: {exc}; {interval:g} 秒后重试 retrying")
        except MonitorError as exc:
            fail(str(exc))
        else:
            _report(observation, watcher.state)
            if not observation.consistent:
                raise typer.Exit(NEGATIVE)
        if once:
            raise typer.Exit(OK)
        time.sleep(interval)


def _now() -> str:
    return f"{dt.datetime.now(CHINA):%Y-%m-%d %H:%M:%S}"


def _say(message: str) -> None:
    errors.print(f"{_now()} {message}", soft_wrap=True)


def _report(observation: Observation, state: Path) -> None:
    """One line when all is well; the alarm and both signed checkpoints if not."""
    served, stored = observation.served, observation.stored
    if stored is None:
        console.print(
            f"{_now()} 首次使用即信任 trust on first use: 无可比对的旧检查点 "
            f"nothing earlier to compare with; {describe(served)} "
            f"已存于 stored in {state}",
            soft_wrap=True,
        )
        return
    if observation.status is Status.UNCHANGED:
        console.print(f"{_now()} 未变 unchanged: {describe(served)}", soft_wrap=True)
        return
    if observation.status is Status.GREW:
        checked = (
            "一致性证明已核验 consistency proof verified"
            if stored.tree_size
            else "空日志无需证明 no proof needed from the empty log"
        )
        console.print(
            f"{_now()} 已增长 grew: {stored.tree_size} → {served.tree_size}, "
            f"{checked}; {describe(served)}",
            soft_wrap=True,
        )
        return

    alarm = ALARM[observation.status]
    console.print(f"{_now()} !!! {alarm} !!!", style="bold red", soft_wrap=True)
    console.print(f"原因 reason: {observation.detail}", style="red", soft_wrap=True)
    console.print(f"--- 已存检查点 stored checkpoint ({state}):", soft_wrap=True)
    console.out(observation.stored_note or "", end="", highlight=False)
    console.print("--- 日志现在给出的检查点 checkpoint the log serves now:")
    console.out(observation.served_note, end="", highlight=False)
    console.print(
        "--- 证据已存 evidence saved: "
        + ", ".join(str(path) for path in observation.evidence),
        soft_wrap=True,
    )
    console.print(
        "已存检查点未替换 the stored checkpoint is kept",
        style="bold red",
        soft_wrap=True,
    )
