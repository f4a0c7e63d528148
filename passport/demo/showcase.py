"""The demo's guidance: workers in different situations, and a month's push list."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console

from passport.archive import Archive
from passport.demo.generator import Programme
from passport.guidance import Guidance, describe_worker, worker_guidance
from passport.guidance.evaluation import evaluation_guidance
from passport.guidance.push import push_list, write_csv
from passport.service import Service
from schemas.events import CertificateType
from schemas.trust import TrustList

SCAN_BATCH = 200
MAX_SCANNED = 2000

Test = Callable[[Archive, list[Guidance], TrustList, dt.date], bool]


def _eligible_now(
    _: Archive, found: list[Guidance], __: TrustList, day: dt.date
) -> bool:
    return any(g.earliest_eligible and g.earliest_eligible <= day for g in found)


def _eligible_later(
    _: Archive, found: list[Guidance], __: TrustList, day: dt.date
) -> bool:
    return bool(found) and all(
        g.earliest_eligible and g.earliest_eligible > day for g in found
    )


def _unknown_award(
    _: Archive, found: list[Guidance], __: TrustList, ___: dt.date
) -> bool:
    return any(
        p.path_id == "competition" and p.met is None for g in found for p in g.paths
    )


def _template_rules(
    _: Archive, found: list[Guidance], __: TrustList, ___: dt.date
) -> bool:
    return any("通用模板" in zh for g in found for zh, _ in g.notes)


def _trainee(
    archive: Archive, found: list[Guidance], trust: TrustList, day: dt.date
) -> bool:
    advice = evaluation_guidance(archive, trust, as_of=day)
    return all(g.current_level is None for g in found) and any(
        a.certificate_type is CertificateType.SKILL_LEVEL for a in advice
    )


def _apprentice(_: Archive, found: list[Guidance], __: TrustList, ___: dt.date) -> bool:
    return any(g.current_step == 1 for g in found)


SITUATIONS: list[tuple[str, Test]] = [
    ("已可申报 eligible now", _eligible_now),
    ("将来可申报 eligible at a future date", _eligible_later),
    ("竞赛规则待核实 an award whose contest rule is unknown", _unknown_award),
    ("按通用模板 an occupation whose own standard was not found", _template_rules),
    ("培训后未取证 trained, no certificate yet", _trainee),
    ("学徒期满 completed apprenticeship", _apprentice),
]


def _archives(service: Service, programme: Programme) -> Iterator[Archive]:
    histories = itertools.islice(programme.workers(), MAX_SCANNED)
    while chunk := list(itertools.islice(histories, SCAN_BATCH)):
        ids = service.register_workers([(h.id_number, h.name) for h in chunk])
        for worker_id in ids:
            yield service.archive(worker_id)


Shown = tuple[str, str, list[tuple[str, str]]]
"""A situation, the worker chosen for it, and the lines printed."""


def show_guidance(
    service: Service, programme: Programme, console: Console, *, as_of: dt.date
) -> list[Shown]:
    """Print guidance for one worker per situation; return what was printed.

    Workers are taken in the programme's order, the first that fits each
    situation; a small programme may lack some situations.
    """
    trust = service.trust_list()
    picked: dict[str, Archive] = {}
    for archive in _archives(service, programme):
        found = worker_guidance(archive, as_of=as_of)
        for why, test in SITUATIONS:
            if why not in picked and test(archive, found, trust, as_of):
                picked[why] = archive
                break
        if len(picked) == len(SITUATIONS):
            break
    printed: list[Shown] = []
    for why, _ in SITUATIONS:
        chosen = picked.get(why)
        if chosen is None:
            continue
        console.print(f"晋升指引 promotion guidance, {why}: worker {chosen.worker_id}")
        lines = describe_worker(chosen, as_of=as_of, trust_list=trust)
        for zh, en in lines:
            console.print(f"  {zh}")
            console.print(f"    {en}", style="dim")
        printed.append((why, chosen.worker_id, lines))
    return printed


def write_push_list(
    service: Service, out: Path, console: Console, *, month: str
) -> Path:
    """Write the month's push list as CSV into ``out``; print how many it holds.

    Judged on the month's last day, so jobs still running count up to it.
    """
    path = out / f"push-{month}.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        count = write_csv(push_list(service, month), file)
    console.print(
        f"等级晋升指引 push list {month}: {count} 人次 newly eligible; {path}"
    )
    return path
