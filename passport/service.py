"""The service layer: one object that the CLI, the web API and the demo share."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from issuers.keys import KeyStore, passphrase_from_env
from issuers.registry import latest_trust_list, publish_trust_list
from issuers.tables import TrustListRow
from ledger.appender import Outcome
from ledger.audit import AuditReport, audit
from ledger.entry import Entry
from ledger.errors import EventRefused
from ledger.log import Log, utc_now
from passport import keyring
from passport.archive import Archive, Record
from passport.config import Settings
from passport.db import open_database
from passport.tables import WorkerIdentityRow
from passport.workers import register_worker
from schemas.events import EntryRevoked, SignedEvent, parse_event
from schemas.trust import LogInfo, SignedTrustList, TrustList
from verify.events import TrustListPolicy

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A request the service cannot serve, with a reason for the person asking."""


class Service:
    """The ledger, the registry and the product's tables behind one database."""

    def __init__(self, settings: Settings, engine: Engine, keys: keyring.ServiceKeys):
        self.settings = settings
        self.engine = engine
        self.keys = keys
        self.log = Log(engine, origin=settings.log_origin, signer=keys.log)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._policy: TrustListPolicy | None = None

    @classmethod
    def open(cls, settings: Settings, *, create_keys: bool = False) -> Service:
        """Load the keys (create them only when asked), then open the database."""
        store = KeyStore(settings.keys_dir, passphrase_from_env())
        if keyring.exists(store):
            keys = keyring.load(store, origin=settings.log_origin)
        elif create_keys:
            keys = keyring.create(store, origin=settings.log_origin)
            logger.debug("created service keys in %s", settings.keys_dir)
        else:
            raise ServiceError(
                f"keys: none in {settings.keys_dir}; create them with `skillpass init`"
            )
        service = cls(settings, open_database(settings.db_url), keys)
        with service.session() as session:
            new_keys = keyring.register(session, keys, now=utc_now())
        if new_keys:
            service.publish_trust_list()
        return service

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    # Trust list

    def publish_trust_list(self) -> SignedTrustList:
        """Sign the registry's current state as a new trust-list version."""
        with self.session() as session:
            signed = publish_trust_list(
                session,
                authority_name=self.settings.authority_name,
                authority_key=self.keys.authority,
                log=LogInfo(
                    origin=self.settings.log_origin,
                    verifier_key=self.keys.log.verifier.vkey,
                ),
                verify_url=self.settings.verify_url,
                now=utc_now(),
            )
        self._policy = TrustListPolicy(signed.trust_list)
        return signed

    def signed_trust_list(self) -> SignedTrustList:
        """The newest published trust list."""
        with self.session() as session:
            signed = latest_trust_list(session)
        if signed is None:
            raise ServiceError("trust list: none published yet; run `skillpass init`")
        return signed

    def trust_list(self) -> TrustList:
        """The newest published trust list, unwrapped."""
        return self.policy().directory.trust_list

    def policy(self) -> TrustListPolicy:
        """The admission policy of the newest trust list (cached)."""
        if self._policy is None:
            self._policy = TrustListPolicy(self.signed_trust_list().trust_list)
        return self._policy

    # Ledger

    def submit(self, events: Sequence[SignedEvent]) -> list[Outcome]:
        """Append issuer-signed events; each gets an outcome in order."""
        outcomes = self.log.append(events, self.policy())
        refused = sum(1 for o in outcomes if o.refused)
        if refused:
            logger.info("refused %s of %s events", refused, len(outcomes))
        return outcomes

    def register_workers(self, people: Sequence[tuple[str, str]]) -> list[str]:
        """Record (ID number, name) identities; return their pseudonymous ids."""
        now = utc_now()
        with self.session() as session:
            return [
                register_worker(
                    session,
                    id_number=id_number,
                    name=name,
                    pseudonym_key=self.keys.pseudonym,
                    now=now,
                )
                for id_number, name in people
            ]

    def identity(self, worker_id: str) -> WorkerIdentityRow:
        """The identity row of a worker; raise ServiceError if unknown."""
        with self.session() as session:
            row = session.get(WorkerIdentityRow, worker_id)
        if row is None:
            raise ServiceError(f"worker: {worker_id} is not registered")
        return row

    def archive(self, worker_id: str) -> Archive:
        """A worker's records in log order with revocations applied."""
        entries = self.log.worker_entries(worker_id)
        return archive_of(worker_id, entries)

    def audit(self) -> AuditReport:
        """Audit the whole log against its signed checkpoints and the trust lists.

        Each entry is checked against the trust list in force when it was
        logged, so a later change of keys or accreditation breaks nothing.
        """
        policy_at = self._policies_in_force()

        def check(entry: Entry, event_bytes: bytes) -> None:
            try:
                signed = SignedEvent.model_validate(
                    {
                        "event": entry.event,
                        "signature": {"key_id": entry.key_id, "value": entry.signature},
                    }
                )
                event = parse_event(entry.event)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise EventRefused("malformed", f"{where}: {first['msg']}") from exc
            policy_at(entry.logged_at).admit(
                signed, event, signed_bytes=event_bytes, now=entry.logged_at
            )

        return audit(
            self.engine,
            origin=self.settings.log_origin,
            verifiers=[self.keys.log.verifier],
            check=check,
        )

    def _policies_in_force(self) -> Callable[[dt.datetime], TrustListPolicy]:
        """The admission policy of the trust list in force at a given time."""
        with self.session() as session:
            rows = session.execute(
                select(TrustListRow.issued_at, TrustListRow.document).order_by(
                    TrustListRow.version
                )
            ).all()
        times = [_as_utc(issued_at) for issued_at, _ in rows]
        documents = [document for _, document in rows]

        @functools.cache
        def policy(version: int) -> TrustListPolicy:
            signed = SignedTrustList.model_validate_json(documents[version])
            return TrustListPolicy(signed.trust_list)

        def policy_at(when: dt.datetime) -> TrustListPolicy:
            return policy(max(bisect.bisect_right(times, when) - 1, 0))

        return policy_at


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def archive_of(worker_id: str, entries: Sequence[Entry]) -> Archive:
    """Parse a worker's entries into records, marking revoked ones."""
    revoked_by: dict[int, int] = {}
    parsed = []
    for entry in entries:
        event = parse_event(entry.event)
        if isinstance(event, EntryRevoked):
            revoked_by[event.target_log_index] = entry.log_index
        parsed.append((entry, event))
    records = [
        Record(
            log_index=entry.log_index,
            leaf_hash=entry.leaf_hash.hex(),
            event=event,
            revoked_by=revoked_by.get(entry.log_index),
        )
        for entry, event in parsed
    ]
    return Archive(worker_id=worker_id, records=records)


def utc_now_seconds() -> dt.datetime:
    """The current time, whole seconds, UTC."""
    return utc_now().replace(microsecond=0)
