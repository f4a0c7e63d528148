"""A fresh database per run, on SQLite or PostgreSQL, and what it occupies."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

from ledger.store.engine import database_url, make_engine
from ledger.store.tables import APPEND_ONLY_TABLES
from passport.db import migrate


@dataclass(frozen=True)
class Database:
    """A migrated, empty database; ``url`` opens the same one in another process."""

    engine: Engine
    url: str
    name: str
    schema: str | None = None
    path: Path | None = None


@contextmanager
def fresh_database(url: str) -> Iterator[Database]:
    """A new SQLite file or PostgreSQL schema, migrated, removed afterwards."""
    if url == "sqlite":
        with (
            tempfile.TemporaryDirectory(prefix="skillpass-bench-") as directory,
            _sqlite(Path(directory) / "bench.db") as database,
        ):
            yield database
        return
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        path = Path(parsed.database or "")
        if not parsed.database or path.exists():
            raise SystemExit(f"--db: {url} must name a new SQLite file")
        try:
            with _sqlite(path) as database:
                yield database
        finally:
            for leftover in (path, *path.parent.glob(f"{path.name}-*")):
                leftover.unlink(missing_ok=True)
        return
    with _postgres(url) as database:
        yield database


@contextmanager
def _sqlite(path: Path) -> Iterator[Database]:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        migrate(engine)
        yield Database(engine, url, "SQLite", path=path)
    finally:
        engine.dispose()


@contextmanager
def _postgres(url: str) -> Iterator[Database]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(url))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    scoped = url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    engine = make_engine(scoped)
    try:
        migrate(engine)
        yield Database(engine, scoped, "PostgreSQL", schema=schema)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def storage_bytes(database: Database) -> dict[str, int]:
    """Bytes each of the log's tables occupies, indexes included."""
    if database.path is not None:
        return _sqlite_bytes(database)
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT coalesce(pg_partition_root(c.oid)::regclass::text, c.relname),"
                " sum(pg_total_relation_size(c.oid))"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :schema AND c.relkind = 'r' GROUP BY 1"
            ),
            {"schema": database.schema},
        ).all()
    sizes = {str(name).split(".")[-1]: int(size) for name, size in rows}
    return {table: sizes.get(table, 0) for table in APPEND_ONLY_TABLES}


def _sqlite_bytes(database: Database) -> dict[str, int]:
    assert database.path is not None
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        owners: dict[str, str] = dict(
            connection.exec_driver_sql("SELECT name, tbl_name FROM sqlite_master").all()
        )
        pages = connection.exec_driver_sql(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name"
        ).all()
    sizes: dict[str, int] = {}
    for name, size in pages:
        table = owners.get(name, name)
        sizes[table] = sizes.get(table, 0) + int(size)
    sizes["(whole file)"] = database.path.stat().st_size
    return {
        table: sizes.get(table, 0) for table in (*APPEND_ONLY_TABLES, "(whole file)")
    }
