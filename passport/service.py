"""The service layer: one object that the CLI, the web API and the demo share."""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import functools
import json
import logging
import os
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from issuers.keys import KeyStore, passphrase_from_env, raw_public
from issuers.registry import latest_trust_list, publish_trust_list
from issuers.tables import ServiceKeyRow, TrustListRow
from ledger.admission import AdmissionPool
from ledger.appender import Outcome
from ledger.audit import AuditReport, audit
from ledger.checkpoint import Checkpoint
from ledger.entry import as_utc
from ledger.errors import AuditFailure, EventRefused, LedgerError
from ledger.log import Log, utc_now
from ledger.note import parse_note
from ledger.risk.config import load_risk_config
from ledger.risk.screen import RiskScreen
from ledger.shards import period_of_origin
from passport import keyring
from passport.archive import Archive, archive_of
from passport.config import DEFAULT_ORIGIN, DEFAULT_VERIFY_URL, Settings
from passport.db import open_database, prepare_home
from passport.errors import ServiceError
from passport.tables import PassportRow, WorkerIdentityRow
from passport.workers import mentions_name, register_worker
from schemas.events import SignedEvent
from schemas.trust import LogInfo, SignedTrustList, TrustList
from verify.errors import VerificationError
from verify.events import EntryChecker, TrustListPolicy, policy_from_trust_list
from verify.trust import read_trust_list

logger = logging.getLogger(__name__)


class RegistryChange:
    """An open registry change: its session, then the trust list that published it."""

    published: SignedTrustList

    def __init__(self, session: Session) -> None:
        self.session = session


class Service:
    """The ledger, the registry and the product's tables behind one database."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        keys: keyring.ServiceKeys,
        *,
        origin: str,
        verify_url: str,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.keys = keys
        self.origin = origin
        self.verify_url = verify_url
        self.log = Log(
            engine,
            origin=origin,
            signer=keys.log,
            risk=RiskScreen(
                load_risk_config(settings.risk_config), self.accredited_since
            ),
        )
        # Sessions mostly write; on SQLite they take the write lock up front,
        # since a deferred transaction that later writes can fail at once
        # with "database is locked" instead of waiting its turn.
        writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._sessions = sessionmaker(writer, expire_on_commit=False)
        self._readers = sessionmaker(engine, expire_on_commit=False)
        self._policy: TrustListPolicy | None = None
        self._pool: AdmissionPool | None = None

    @classmethod
    def open(cls, settings: Settings, *, create_keys: bool = False) -> Service:
        """Open the database and the keys; create keys only when asked.

        1. The home exists (``init`` creates it) and, but for ``init``, holds
           keys, so a mistyped home gets no empty database.
        2. The key directory holds all the service keys or none.
        3. The database is reachable before any key is made.
        4. The log origin and verify URL are those the trust list fixed, not
           whatever the environment says today.
        5. Keys are created only where none exist, for a database that has
           none registered, so a lost key directory is never papered over.
        6. The stored trust list must carry the authority's signature.
        """
        store = KeyStore(settings.keys_dir, passphrase_from_env())
        prepare_home(settings.home, settings.db_url, create=create_keys)
        if not create_keys and not keyring.present(store):
            # before the database is opened, which would create a SQLite file
            raise ServiceError(
                f"keys: none in {settings.keys_dir}; create them with `skillpass init`"
            )
        engine = open_database(settings.db_url)
        try:
            have_keys = _keys_to_use(store, engine, create_keys=create_keys)
            origin, verify_url = _fixed_names(engine, settings)
            if have_keys:
                keys = keyring.load(store, origin=origin)
            elif _has_service_keys(engine):
                raise ServiceError(
                    f"keys: none in {settings.keys_dir}, but the database has "
                    "service keys; restore the key directory from backup"
                )
            else:
                keys = keyring.create(store, origin=origin)
            service = cls(settings, engine, keys, origin=origin, verify_url=verify_url)
            with service.session() as session:
                new_keys = keyring.register(session, keys, now=utc_now())
                published = latest_trust_list(session) is not None
            # also when an earlier init stopped between registering and publishing
            if new_keys or not published:
                service.publish_trust_list()
            service.policy()
            return service
        except BaseException:
            engine.dispose()
            raise

    def close(self) -> None:
        """Release the database connections and any worker processes."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for writing, committed on success and rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads, and so never waits for the write lock."""
        with self._readers() as session:
            yield session

    # Trust list

    def publish_trust_list(self) -> SignedTrustList:
        """Sign the registry's current state as a new trust-list version."""
        with self.registry_change() as change:
            pass
        return change.published

    @contextmanager
    def registry_change(self) -> Iterator[RegistryChange]:
        """A session for changing the registry, published as a new trust list.

        The change and the trust list that publishes it commit together, so
        no registry state goes unsigned; the list is in force at once.
        """
        with self.session() as session:
            change = RegistryChange(session)
            yield change
            change.published = publish_trust_list(
                session,
                authority_name=self.settings.authority_name,
                authority_key=self.keys.authority,
                log=LogInfo(
                    origin=self.origin, verifier_key=self.keys.log.verifier.vkey
                ),
                verify_url=self.verify_url,
                now=utc_now(),
            )
        self._policy = TrustListPolicy(change.published.trust_list)
        if self._pool is not None:  # its workers hold the previous list
            self._pool.close()
            self._pool = None

    def trust_list_document(self) -> str:
        """The newest published trust list as stored, once its signature checks."""
        with self.reading() as session:
            document = latest_trust_list(session)
        if document is None:
            raise ServiceError("trust list: none published yet; run `skillpass init`")
        self._verified(document)
        return document

    def export_trust_list(self, path: Path) -> int:
        """Write the newest trust list to ``path``; return its version."""
        document = json.loads(self.trust_list_document())
        path.write_text(
            json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return int(document["trust_list"]["version"])

    def accredited_since(self, issuer_id: str) -> dt.datetime | None:
        """When the issuer's first key on the trust list became valid."""
        for issuer in self.trust_list().issuers:
            if issuer.issuer_id == issuer_id:
                return min((k.valid_from for k in issuer.keys), default=None)
        return None

    def trust_list(self) -> TrustList:
        """The newest published trust list, verified."""
        return self.policy().directory.trust_list

    def policy(self) -> TrustListPolicy:
        """The admission policy of the newest trust list (cached)."""
        if self._policy is None:
            self._policy = TrustListPolicy(self._verified(self.trust_list_document()))
        return self._policy

    def _verified(self, document: str) -> TrustList:
        """A stored trust list, checked against the authority key we hold."""
        authority = raw_public(self.keys.authority.public_key())
        try:
            return read_trust_list(
                document,
                authority_key=base64.b64encode(authority).decode(),
                source="trust list in the database",
            )
        except VerificationError as exc:
            raise ServiceError(f"{exc} (was the database altered?)") from exc

    # Ledger

    def submit(self, events: Sequence[SignedEvent]) -> list[Outcome]:
        """Append issuer-signed events; each gets an outcome in order.

        Before the log sees them, events about a worker who is not registered,
        or that carry the worker's name, are refused: the log is public and
        permanent, and personal data belongs only in ``worker_identities``.
        """
        screened = self._screen(events)
        admitted = [e for i, e in enumerate(events) if i not in screened]
        return self._merge(
            len(events), screened, self.log.append(admitted, self.policy())
        )

    def submit_many(
        self, batches: Iterable[Sequence[SignedEvent]]
    ) -> Iterator[list[Outcome]]:
        """``submit`` batch after batch, signatures checked on every core.

        Yields each batch's outcomes once it has committed, so a bulk import
        can acknowledge what is safely in the log as it goes.
        """
        screens: deque[tuple[int, dict[int, EventRefused]]] = deque()

        def admitted() -> Iterator[list[SignedEvent]]:
            for batch in batches:
                screened = self._screen(batch)
                screens.append((len(batch), screened))
                yield [e for i, e in enumerate(batch) if i not in screened]

        for results in self.log.append_many(admitted(), self._admission_pool()):
            size, screened = screens.popleft()
            yield self._merge(size, screened, results)

    def _merge(
        self, size: int, screened: dict[int, EventRefused], results: list[Outcome]
    ) -> list[Outcome]:
        """The screened refusals and the log's outcomes, in submission order."""
        if any(r.entry and not r.duplicate for r in results):
            self._keep_checkpoint()
        appended = iter(results)
        return [
            Outcome(refused=screened[i]) if i in screened else next(appended)
            for i in range(size)
        ]

    def _admission_pool(self) -> AdmissionPool:
        if self._pool is None:
            factory = functools.partial(
                policy_from_trust_list, self.trust_list_document()
            )
            self._pool = AdmissionPool(factory)
        return self._pool

    @property
    def checkpoint_file(self) -> Path:
        """Where the newest checkpoint is kept outside the database."""
        return self.settings.home / "checkpoint.txt"

    def _keep_checkpoint(self) -> None:
        """Keep the newest checkpoint outside the database too.

        Audit then notices a log rolled back together with its checkpoints
        table. Several processes may append: a lock orders them, and the copy
        only ever grows; it is written whole and synced before it replaces
        the old one.
        """
        note = self.log.checkpoint()
        newest = _shard_position(self.origin, note)
        kept = self.checkpoint_file
        with (kept.parent / "checkpoint.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if kept.exists() and _kept_position(self.origin, kept) >= newest:
                return
            with tempfile.NamedTemporaryFile(
                "w", dir=kept.parent, prefix="checkpoint.", delete=False
            ) as temporary:
                temporary.write(note)
                temporary.flush()
                os.fsync(temporary.fileno())
            os.replace(temporary.name, kept)

    def _screen(self, events: Sequence[SignedEvent]) -> dict[int, EventRefused]:
        """Refusals for events about unknown or erased workers, or naming them."""
        wanted = [
            w for w in {e.event.get("worker_id") for e in events} if isinstance(w, str)
        ]
        with self.reading() as session:
            identities = {
                worker_id: (name, erased_at)
                for worker_id, name, erased_at in session.execute(
                    select(
                        WorkerIdentityRow.worker_id,
                        WorkerIdentityRow.name,
                        WorkerIdentityRow.erased_at,
                    ).where(WorkerIdentityRow.worker_id.in_(wanted))
                )
            }
        screened = {}
        for index, signed in enumerate(events):
            worker_id = signed.event.get("worker_id")
            if not isinstance(worker_id, str):
                continue  # malformed: the log refuses it with the reason
            if worker_id not in identities:
                screened[index] = EventRefused(
                    "unknown_worker", f"worker_id: {worker_id} is not registered"
                )
                continue
            name, erased_at = identities[worker_id]
            # an erased worker's records may still be revoked, nothing more
            if erased_at is not None and signed.event.get("kind") != "entry.revoked":
                screened[index] = EventRefused(
                    "erased_worker",
                    f"worker_id: {worker_id}'s personal data was erased",
                )
            elif mentions_name(signed.event, name):
                screened[index] = EventRefused(
                    "personal_data", "event: contains the worker's name"
                )
        return screened

    def register_workers(self, people: Sequence[tuple[str, str]]) -> list[str]:
        """Record (ID number, name) identities; return their pseudonymous ids."""
        now = utc_now()
        try:
            return self._register(people, now)
        except IntegrityError:
            # Another request registered the same person in the meantime
            # (PostgreSQL runs sessions side by side): now they are found.
            return self._register(people, now)

    def _register(
        self, people: Sequence[tuple[str, str]], now: dt.datetime
    ) -> list[str]:
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
        with self.reading() as session:
            row = session.get(WorkerIdentityRow, worker_id)
        if row is None:
            raise ServiceError(f"worker: {worker_id} is not registered")
        return row

    def archive(self, worker_id: str) -> Archive:
        """A worker's records in log order, revocations and compromises applied."""
        entries = self.log.worker_entries(worker_id)
        return archive_of(worker_id, entries, self.trust_list())

    def audit(
        self, witnessed: Sequence[str] = (), *, processes: int | None = None
    ) -> AuditReport:
        """Audit the whole log against its signed checkpoints and the trust lists.

        Each entry is checked against the trust list in force when it was
        logged, so a later change of keys or accreditation breaks nothing.
        Besides ``witnessed`` checkpoints, the copy the service keeps and the
        tree sizes of issued passports show a log rolled back as a whole.
        """
        with self.reading() as session:
            rows = session.execute(
                select(TrustListRow.issued_at, TrustListRow.document).order_by(
                    TrustListRow.version
                )
            ).all()
        for _, document in rows:
            self._verified(document)
        checker = EntryChecker([(as_utc(at), document) for at, document in rows])
        kept = self.checkpoint_file
        notes = [*witnessed, *([kept.read_text("utf-8")] if kept.exists() else [])]
        report = audit(
            self.engine,
            origin=self.origin,
            verifiers=[self.keys.log.verifier],
            check=checker,
            witnessed=notes,
            processes=processes,
        )
        with self.reading() as session:
            shown = session.scalar(select(func.max(PassportRow.tree_size))) or 0
        if shown > report.tree_size:
            raise AuditFailure(
                report.tree_size,
                "truncated log",
                f"passports were issued when the log held {shown} entries",
            )
        return report


def _fixed_names(engine: Engine, settings: Settings) -> tuple[str, str]:
    """The log origin and verify URL: as the trust list fixed them, else chosen now."""
    with engine.connect() as connection:
        document = connection.execute(
            select(TrustListRow.document).order_by(TrustListRow.version.desc()).limit(1)
        ).scalar()
    if document is None:
        return (
            settings.log_origin or DEFAULT_ORIGIN,
            settings.verify_url or DEFAULT_VERIFY_URL,
        )
    # Read before the signature is checked (that needs the keys, which need
    # the origin); Service.open checks it right after loading them.
    fixed = json.loads(document)["trust_list"]
    origin, verify_url = fixed["log"]["origin"], fixed["verify_url"]
    for name, wanted, actual in (
        ("SKILLPASS_LOG_ORIGIN", settings.log_origin, origin),
        ("SKILLPASS_VERIFY_URL", settings.verify_url, verify_url),
    ):
        if wanted is not None and wanted != actual:
            raise ServiceError(
                f"{name}: {wanted} differs from {actual}, which the trust list "
                "fixed when this service was created"
            )
    return origin, verify_url


def _shard_position(base: str, note: str) -> tuple[int, int]:
    """How far a checkpoint reaches: its shard's period, then its tree size."""
    checkpoint = Checkpoint.parse(parse_note(note).text)
    return period_of_origin(base, checkpoint.origin), checkpoint.tree_size


def _kept_position(base: str, path: Path) -> tuple[int, int]:
    try:
        return _shard_position(base, path.read_text("utf-8"))
    except (OSError, LedgerError):
        return (-1, -1)  # unreadable: replace it; audit reads the new one


def _keys_to_use(store: KeyStore, engine: Engine, *, create_keys: bool) -> bool:
    """Whether the service keys exist, setting aside a set an init left half made.

    A partial set that no database has registered was never used: it is what
    an ``init`` interrupted while writing the keys leaves, and is moved aside
    (not deleted) so that ``init`` can start over.
    """
    if create_keys and keyring.add_credential_signer(store):
        logger.warning("added the credential signer to the keys in %s", store.directory)
    found = keyring.present(store)
    partial = 0 < len(found) < len(keyring.NAMES)
    if partial and create_keys and not _has_service_keys(engine):
        folder = store.set_aside(found, f"unfinished-{utc_now():%Y%m%dT%H%M%S}")
        logger.warning("set aside the keys of an unfinished init in %s", folder)
        return False
    return keyring.exists(store)


def _has_service_keys(engine: Engine) -> bool:
    with engine.connect() as connection:
        return (
            connection.execute(select(ServiceKeyRow.key_id).limit(1)).first()
            is not None
        )


def utc_now_seconds() -> dt.datetime:
    """The current time, whole seconds, UTC."""
    return utc_now().replace(microsecond=0)
