"""The main job on the bundled programme data, end to end.

1. Open (or create) the service in the output directory.
2. Register the programme's institutions, each with its own key, and
   publish the trust list.
3. Sign every worker's history with the issuers' keys and append it through
   ``Service.submit``, the path the API takes; revocations follow once the
   entries they name are in the log.
4. Issue passports for a few workers in different situations.
5. Verify each passport PDF offline, and show that a QR with one changed
   character is refused; export a holder's Verifiable Credentials
   and verify them offline too.
6. Print guidance for workers in different situations, write this month's
   push list, audit the log, and sum up.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.progress import Progress, TaskID

from issuers.keys import KeyStore, key_id, passphrase_from_env, raw_public
from issuers.registry import add_issuer_key, register_issuer
from issuers.signing import sign_event
from issuers.tables import IssuerKeyRow, IssuerRow
from ledger.appender import Outcome
from ledger.entry import Entry
from passport.config import Settings
from passport.demo.generator import IssuerSpec, Programme, WorkerHistory, generate
from passport.demo.showcase import Shown, show_guidance, write_push_list
from passport.issuance import issue_passport
from passport.qr import qr_version
from passport.service import Service, utc_now_seconds
from passport.verdict import STATUS_TEXT, Verdict, verify_offline
from schemas.events import SignedEvent
from verify.reader import read_qr_text
from verify.trust import load_trust_list

logger = logging.getLogger(__name__)

WORKERS_PER_BATCH = 200
_NAMING_KINDS = ("entry.revoked", "entry.corrected")
"""Kinds that name an earlier entry by log index, filled in once it is logged."""
# The generated histories start in 2018; the institutions' keys must cover them.
ISSUER_KEYS_VALID_FROM = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
PASSPORTS = 5


@dataclass
class DemoReport:
    """Counts and timings of one demo run."""

    workers: int = 0
    appended: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=dict)
    passports: list[Path] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)
    verified: int = 0
    tampered_refused: int = 0
    guidance: list[Shown] = field(default_factory=list)
    push_list: Path | None = None
    credentials: list[Path] = field(default_factory=list)
    credentials_verified: int = 0
    qr_versions: Counter[int] = field(default_factory=Counter)
    """How many passports' QR codes need each version at level M."""


def run_demo(
    out: Path,
    *,
    workers: int,
    seed: int,
    db: str | None,
    console: Console,
) -> DemoReport:
    """Run the whole demo into ``out``; return what happened."""
    report = DemoReport()
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings.load(db=db, home=out)
    clock = _Stopwatch(report)

    with clock("setup"):
        service = Service.open(settings, create_keys=True)
    try:
        _run(
            service,
            settings,
            out,
            workers=workers,
            seed=seed,
            report=report,
            console=console,
            clock=clock,
        )
    finally:
        service.close()
    return report


def _run(
    service: Service,
    settings: Settings,
    out: Path,
    *,
    workers: int,
    seed: int,
    report: DemoReport,
    console: Console,
    clock: _Stopwatch,
) -> None:
    """Steps 2-6 on an open service."""
    with clock("register"):
        programme = generate(workers=workers, seed=seed)
        keys = _register_issuers(service, programme.issuers, settings)
        service.publish_trust_list()
    trust_list = service.trust_list()
    console.print(
        f"{len(programme.issuers)} 家机构 institutions registered; "
        f"trust list v{trust_list.version}"
    )
    flagged = [i.issuer_id for i in trust_list.issuers if i.uscc_flagged]
    if flagged:
        console.print(
            f"  {', '.join(flagged)}: 统一社会信用代码校验位不符，已标记待核查 "
            "credit code check character wrong (deliberately, in the demo data): "
            "registered and flagged for review, not dropped"
        )

    with clock("append"):
        _append_histories(service, programme, keys, report, console)
    appended = sum(report.appended.values())
    rate = appended / report.timings["append"] if report.timings["append"] else 0.0
    console.print(
        f"{appended} entries appended for {report.workers} workers "
        f"({rate:,.0f}/s), {report.duplicates} already present, "
        f"{sum(report.refused.values())} refused"
    )

    trust_file = out / "trust-list.json"
    service.export_trust_list(trust_file)
    with clock("passports"):
        chosen = _choose_workers(service, programme)
        report.passports = _issue_passports(service, chosen, out / "passports")
        report.holders = [worker_id for _, worker_id in chosen]
    with clock("verify"):
        _verify_passports(trust_file, report, console)
    versions = ", ".join(f"v{v} ×{n}" for v, n in sorted(report.qr_versions.items()))
    console.print(f"二维码版本分布 QR versions at level M: {versions}")
    with clock("credentials"):
        _export_credentials(service, trust_file, out / "credentials", report, console)
    today = utc_now_seconds().date()
    with clock("guidance"):
        report.guidance = show_guidance(service, programme, console, as_of=today)
        report.push_list = write_push_list(
            service, out, console, month=f"{today:%Y-%m}"
        )
    with clock("audit"):
        audit = service.audit()
    console.print(
        f"审计 audit passed: {audit.tree_size} entries, {audit.checkpoints} checkpoints"
    )
    console.print(f"trust list written to {trust_file}")


class _Stopwatch:
    def __init__(self, report: DemoReport) -> None:
        self.report = report

    def __call__(self, name: str) -> _Lap:
        return _Lap(self.report, name)


class _Lap:
    def __init__(self, report: DemoReport, name: str) -> None:
        self.report, self.name = report, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.report.timings[self.name] = time.perf_counter() - self.start


def _register_issuers(
    service: Service, issuers: Iterable[IssuerSpec], settings: Settings
) -> dict[str, Ed25519PrivateKey]:
    """Each institution's key (made once, kept encrypted) and its registration.

    In production every institution keeps its own key; the demo plays all of
    them, so their keys live in the demo's key directory.
    """
    store = KeyStore(settings.keys_dir, passphrase_from_env())
    keys: dict[str, Ed25519PrivateKey] = {}
    now = utc_now_seconds()
    with service.session() as session:
        for spec in issuers:
            name = f"issuers/{spec.issuer_id}"
            if store.exists(name):
                key = store.signing_key(name)
            else:
                key = store.create_signing_key(name)
            keys[spec.issuer_id] = key
            public = raw_public(key.public_key())
            if session.get(IssuerRow, spec.issuer_id) is None:
                register_issuer(
                    session,
                    issuer_id=spec.issuer_id,
                    name=spec.name,
                    kind=spec.kind,
                    uscc=spec.uscc,
                    accreditation=spec.accreditation,
                    system=spec.system,
                    now=now,
                )
            if session.get(IssuerKeyRow, (spec.issuer_id, key_id(public))) is None:
                add_issuer_key(
                    session,
                    issuer_id=spec.issuer_id,
                    public_key=public,
                    valid_from=ISSUER_KEYS_VALID_FROM,
                )
    return keys


def _append_histories(
    service: Service,
    programme: Programme,
    keys: dict[str, Ed25519PrivateKey],
    report: DemoReport,
    console: Console,
) -> None:
    """Sign and append every history in batches, then the revocations.

    A revocation or a correction names its target's log index and leaf hash,
    known only once the target is in the log; so they go last, in their own
    batch.
    """
    revocations: list[dict[str, Any]] = []
    targets: dict[tuple[str, str, str], Entry | None] = {}

    def sign(event: dict[str, Any]) -> SignedEvent:
        return sign_event(event, private_key=keys[event["issuer_id"]])

    def batches(progress: Progress, task: TaskID) -> Iterator[list[SignedEvent]]:
        histories = programme.workers()
        while chunk := list(itertools.islice(histories, WORKERS_PER_BATCH)):
            worker_ids = service.register_workers(
                [(h.id_number, h.name) for h in chunk]
            )
            batch = []
            for history, worker_id in zip(chunk, worker_ids, strict=True):
                for draft in history.events:
                    event = {**draft, "worker_id": worker_id}
                    if event["kind"] not in _NAMING_KINDS:
                        batch.append(sign(event))
                        continue
                    if "corrected" in event:
                        event["corrected"] = {
                            **event["corrected"],
                            "worker_id": worker_id,
                        }
                    target = (
                        worker_id,
                        event.pop("target_issuer_id"),
                        event.pop("target_ref"),
                    )
                    targets[target] = None
                    revocations.append(event | {"target": target})
            report.workers += len(chunk)
            progress.advance(task, len(chunk))
            yield batch

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(
            "签名并写入账本 signing and appending", total=programme.worker_count
        )
        for outcomes in service.submit_many(batches(progress, task)):
            _count(outcomes, report)
            for outcome in outcomes:
                entry = outcome.entry
                if entry is not None:
                    key = (
                        entry.worker_id,
                        entry.event["issuer_id"],
                        entry.event["ref"],
                    )
                    if key in targets:
                        targets[key] = entry
    resolved = []
    for revocation in revocations:
        target = targets[revocation.pop("target")]
        if target is None:
            report.refused["unresolved_revocation"] += 1
            continue
        revocation["target_log_index"] = target.log_index
        revocation["target_leaf_hash"] = target.leaf_hash.hex()
        resolved.append(sign(revocation))
    _count(service.submit(resolved), report)


def _count(outcomes: list[Outcome], report: DemoReport) -> None:
    for outcome in outcomes:
        if outcome.refused is not None:
            report.refused[outcome.refused.reason] += 1
            logger.warning("refused: %s", outcome.refused)
        elif outcome.duplicate:
            report.duplicates += 1
        elif outcome.entry is not None:
            report.appended[outcome.entry.event["kind"]] += 1


SEVERAL_CERTIFICATES = "证书较多 several certificates"

_WANTED: list[tuple[str, Callable[[WorkerHistory], bool]]] = [
    ("罕见字姓名 rare character in the name", lambda h: "𠮷" in h.name),
    ("扩展A区汉字 CJK Extension A name", lambda h: "䶮" in h.name),
    ("少数民族姓名 name with a middle dot", lambda h: "·" in h.name),
    (SEVERAL_CERTIFICATES, lambda h: _certificates(h) >= 3),
    (
        "有撤销记录 a revoked entry",
        lambda h: any(e["kind"] == "entry.revoked" for e in h.events),
    ),
]


def _choose_workers(service: Service, programme: Programme) -> list[tuple[str, str]]:
    """A few workers in different situations, with why each was chosen.

    Small programmes may lack some situations; workers with a certificate
    fill the places left.
    """
    picks: dict[str, WorkerHistory] = {}
    others: list[WorkerHistory] = []
    for history in programme.workers():
        why = next((w for w, test in _WANTED if w not in picks and test(history)), None)
        if why is not None:
            picks[why] = history
        elif len(others) < PASSPORTS and _certificates(history):
            others.append(history)
        if len(picks) == len(_WANTED):
            break
    chosen = [*picks.items(), *(("持证人员 a certified worker", h) for h in others)]
    chosen = chosen[:PASSPORTS]
    worker_ids = service.register_workers([(h.id_number, h.name) for _, h in chosen])
    return [(why, wid) for (why, _), wid in zip(chosen, worker_ids, strict=True)]


def _certificates(history: WorkerHistory) -> int:
    return sum(1 for e in history.events if e["kind"] == "certificate.issued")


def _issue_passports(
    service: Service, chosen: list[tuple[str, str]], folder: Path
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, (_, worker_id) in enumerate(chosen, start=1):
        pdf = io.BytesIO()
        view = issue_passport(service, worker_id, out=pdf)
        path = folder / f"passport-{number}-{view.passport_id}.pdf"
        path.write_bytes(pdf.getvalue())
        paths.append(path)
    return paths


def _verify_passports(trust_file: Path, report: DemoReport, console: Console) -> None:
    """Verify each PDF as an employer would: offline, with the trust-list file."""
    trust_list = load_trust_list(trust_file)
    now = utc_now_seconds()
    for path in report.passports:
        qr_text = read_qr_text(str(path))
        report.qr_versions[qr_version(qr_text)] += 1
        verdict = verify_offline(qr_text, trust_list, now=now)
        report.verified += verdict.valid
        tampered = verify_offline(_change_one_character(qr_text), trust_list, now=now)
        report.tampered_refused += not tampered.valid
        console.print(
            f"{path.name}: {_label(verdict)}; "
            f"改动一个字符 one character changed: {_label(tampered)}"
        )


def _export_credentials(
    service: Service,
    trust_file: Path,
    folder: Path,
    report: DemoReport,
    console: Console,
) -> None:
    """Write a holder's credentials and check them as a wallet would."""
    from passport.credentials import CREDENTIAL_KINDS, export_credentials
    from verify.credential import verify_credential

    holder = next(
        worker_id
        for worker_id in report.holders
        if any(service.archive(worker_id).active(*CREDENTIAL_KINDS))
    )
    written = export_credentials(service, holder, folder)
    documents = {p: json.loads(p.read_text("utf-8")) for p in written}
    lists = {d["id"]: d for p, d in documents.items() if p.name.startswith("status-")}
    trust_list, now = load_trust_list(trust_file), utc_now_seconds()
    for path, document in documents.items():
        if path.name.startswith("credential-"):
            verify_credential(
                document, trust_list=trust_list, status_lists=lists, at=now
            )
            report.credentials.append(path)
            report.credentials_verified += 1
    console.print(
        f"{report.credentials_verified} 份可验证凭证 Verifiable Credentials "
        f"(Open Badges 3.0, eddsa-rdfc-2022 + eddsa-jcs-2022) written to {folder} "
        "and verified offline"
    )


def _label(verdict: Verdict) -> str:
    zh, en = STATUS_TEXT[verdict.status]
    if verdict.valid:
        return f"{zh} {en}"
    return f"拒绝 refused, {zh} {en} ({verdict.findings[0].message})"


def _change_one_character(qr_text: str) -> str:
    """The QR text with one payload character replaced by another valid one."""
    position = len(qr_text) - len(qr_text) // 3
    original = qr_text[position]
    replacement = "A" if original != "A" else "B"
    return qr_text[:position] + replacement + qr_text[position + 1 :]
