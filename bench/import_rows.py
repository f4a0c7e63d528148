"""Benchmark: importing a roster of certificates, beside the bulk-append rate.

Both figures are measured in the same run, each on a fresh database behind
the service (``Service.submit_many``, the path of ``skillpass submit``):

- bulk append: the same certificates, signed and their workers registered
  before the clock starts;
- import: the roster's bytes (a GBK CSV as Excel writes it) read, cleaned,
  workers registered, events signed with the issuer's key and appended:
  everything ``skillpass import`` does.

The import should run at 0.8 or more of the bulk-append rate: reading the
file must not be what limits it. The rate of reading and cleaning alone
(no database, no signing) is printed too. Runs alternate (bulk, import, bulk, …) and
the best of each is kept, since other processes share the machine.

    python -m bench.import_rows [--db URL] [--rows N]
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import (
    Baseline,
    arguments,
    best_of,
    header,
    load,
    median,
    rate_line,
)
from bench.database import Database, fresh_database
from issuers.keys import raw_public
from issuers.registry import add_issuer_key, register_issuer
from issuers.signing import sign_event
from ledger.appender import Outcome
from passport.cli.import_cmd import _sign_and_submit
from passport.config import Settings
from passport.imports.columns import ImportKind, map_header
from passport.imports.importer import prepare_import, prepare_in_chunks
from passport.imports.reading import read_roster
from passport.imports.rows import draft_row
from passport.service import Service, utc_now_seconds
from schemas.events import EventKind
from schemas.identifiers import id_check_char
from schemas.trust import Accreditation, IssuerKind

TARGET = 0.8
ISSUER = "bench-import-eval"
KEYS_VALID_FROM = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)


def id_number(n: int) -> str:
    """A valid ID number for person ``n`` (born on one of 10,000 days)."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=n % 10_000)
    first17 = f"500102{born:%Y%m%d}{n // 10_000 % 1000:03d}"
    return first17 + id_check_char(first17)


def roster(rows: int) -> bytes:
    """A GBK roster of ``rows`` certificates, one person each."""
    lines = ["姓名,身份证号码,证书编号,职业名称,等级,发证日期"]
    for n in range(rows):
        issued = dt.date(2024, 1, 1) + dt.timedelta(days=n % 300)
        number = f"S000050000001{issued:%y}5{n:06d}"
        lines.append(
            f"学员{n},{id_number(n)},{number},养老护理员,五级,{issued:%Y/%m/%d}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


@contextmanager
def service_on(database: Database, key: Ed25519PrivateKey) -> Iterator[Service]:
    """The service on a fresh database, the importing issuer registered."""
    with tempfile.TemporaryDirectory(prefix="skillpass-bench-home-") as home:
        service = Service.open(
            Settings.load(db=database.url, home=Path(home)), create_keys=True
        )
        try:
            with service.session() as session:
                register_issuer(
                    session,
                    issuer_id=ISSUER,
                    name="基准测试评价机构 benchmark evaluation institution",
                    kind=IssuerKind.EVALUATION_INSTITUTION,
                    uscc="91110000600037341L",
                    accreditation=Accreditation(
                        event_kinds=[EventKind.CERTIFICATE_ISSUED],
                        occupations=["4-10-01-05"],
                        highest_level=3,
                    ),
                    now=KEYS_VALID_FROM,
                )
                add_issuer_key(
                    session,
                    issuer_id=ISSUER,
                    public_key=raw_public(key.public_key()),
                    valid_from=KEYS_VALID_FROM,
                )
            service.publish_trust_list()
            yield service
        finally:
            service.close()


def main() -> None:
    """Measure and print the import rate beside the bulk-append rate."""
    parser = arguments(__doc__ or "")
    parser.add_argument("--rows", type=int, default=100_000)
    options = parser.parse_args()
    os.environ.setdefault("SKILLPASS_KEY_PASSPHRASE", "bench-only-passphrase")
    key = Ed25519PrivateKey.generate()
    data = roster(options.rows)
    baseline = Baseline()
    baseline.measure()
    with fresh_database(options.db) as probe:
        header("import rows", probe.name)
    print(f"roster: {options.rows:,} rows, {len(data):,} bytes of GBK CSV", flush=True)

    def bulk() -> float:
        with fresh_database(options.db) as database, service_on(database, key) as s:
            plan = prepare_import(
                s,
                data,
                kind=ImportKind.CERTIFICATE,
                issuer_id=ISSUER,
                signed_at=utc_now_seconds(),
            )
            signed = [sign_event(e, private_key=key) for _, e in plan.unsigned()]
            batches = [
                signed[i : i + options.batch]
                for i in range(0, len(signed), options.batch)
            ]
            start = time.perf_counter()
            appended = _appended(s.submit_many(batches))
            seconds = time.perf_counter() - start
            return _rate(appended, options.rows, seconds)

    def imported() -> float:
        with fresh_database(options.db) as database, service_on(database, key) as s:
            start = time.perf_counter()
            plan, chunks = prepare_in_chunks(
                s,
                data,
                kind=ImportKind.CERTIFICATE,
                issuer_id=ISSUER,
                signed_at=utc_now_seconds(),
                chunk=options.batch,
            )
            _sign_and_submit(s, plan, chunks, key)
            seconds = time.perf_counter() - start
            appended = sum(1 for r in plan.rows if r.status == "appended")
            return _rate(appended, options.rows, seconds)

    def read() -> float:
        start = time.perf_counter()
        roster = read_roster(data)
        columns = map_header(roster.header, ImportKind.CERTIFICATE)
        drafts = [
            draft_row(n, c, columns, kind=ImportKind.CERTIFICATE)
            for n, c in roster.rows
        ]
        seconds = time.perf_counter() - start
        return _rate(sum(1 for d in drafts if d.events), options.rows, seconds)

    # alternated, so that a change in the machine's load hits each alike
    append_rate = import_rate = read_rate = 0.0
    pairs = []
    for _ in range(options.repeats):
        one_bulk = best_of(1, bulk, label="bulk append")[0]
        one_import = best_of(1, imported, label="import")[0]
        pairs.append(one_import / one_bulk)
        append_rate = max(append_rate, one_bulk)
        import_rate = max(import_rate, one_import)
        read_rate = max(read_rate, best_of(1, read, label="read and clean")[0])
    baseline.measure()
    print(
        rate_line(
            "reading and cleaning the file alone (no database)",
            read_rate,
            baseline,
            unit="rows",
        )
        + f"  = {read_rate / append_rate:.1f}x bulk append"
    )
    print(
        rate_line(
            "bulk append (signed before timing)", append_rate, baseline, unit="events"
        )
    )
    print(
        rate_line(
            "import (read, clean, register, sign, append)",
            import_rate,
            baseline,
            unit="rows",
        )
    )
    # the ratio of runs made one after the other, less at the mercy of load
    ratio = median(pairs)
    verdict = "met" if ratio >= TARGET else "MISSED"
    print(
        f"import / bulk append, run by run: "
        f"{', '.join(f'{r:.2f}' for r in pairs)}; median {ratio:.2f}; "
        f"target >= {TARGET}: {verdict}  load {load():.2f}"
    )


def _appended(results: Iterator[list[Outcome]]) -> int:
    return sum(1 for batch in results for o in batch if o.entry and not o.duplicate)


def _rate(appended: int, rows: int, seconds: float) -> float:
    if appended != rows:
        # A benchmark that refuses its own rows measures nothing.
        raise SystemExit(f"bench: {appended} of {rows} rows appended")
    return rows / seconds


if __name__ == "__main__":
    main()
