"""The append-only audit log: every envelope the exchange receives, with its verdict.

SQLite (stdlib) in WAL mode with ``synchronous=NORMAL``: a commit writes the WAL without an
fsync, so a power loss can drop the last commits but never corrupts the log. Triggers refuse
UPDATE and DELETE. Rows are buffered and written in one transaction when ``batch`` rows are
waiting or when asked (the exchange asks at most 5 ms after a row arrives), by a writer
thread, so the exchange's cost per envelope is one tuple append and a commit or checkpoint
fsync never stalls its loop; :func:`bench_audit` measures the writing.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS envelopes (
    id INTEGER PRIMARY KEY,
    received_ns INTEGER NOT NULL,
    subject TEXT NOT NULL,
    sender TEXT NOT NULL,
    seq INTEGER,
    type TEXT,
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'refused')),
    reason TEXT,
    detail TEXT NOT NULL DEFAULT '',
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS meta_no_update BEFORE UPDATE ON meta
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS meta_no_delete BEFORE DELETE ON meta
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS envelopes_no_update BEFORE UPDATE ON envelopes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS envelopes_no_delete BEFORE DELETE ON envelopes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
log = logging.getLogger(__name__)

_INSERT = (
    "INSERT INTO envelopes (received_ns, subject, sender, seq, type, verdict, reason, detail, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audited envelope: receive time (ns, exchange clock), subject, sender (as read, or as
    claimed by the subject), seq and type (None if unreadable), verdict "accepted" or "refused",
    the refusal reason and detail, and the raw envelope bytes."""

    id: int
    received_ns: int
    subject: str
    sender: str
    seq: int | None
    type: str | None
    verdict: str
    reason: str | None
    detail: str
    data: bytes

    @property
    def accepted(self) -> bool:
        return self.verdict == "accepted"


class AuditLog:
    """An append-only SQLite audit log at ``path`` (":memory:" for a throwaway one).

    With ``background`` (the default) a writer thread does the SQLite work, so a commit or a
    WAL checkpoint (which fsyncs) never stalls the caller's event loop; :meth:`append` and
    :meth:`commit_soon` never block on the disk, :meth:`flush` waits until every row appended
    so far is committed.
    """

    def __init__(self, path: str | Path, *, batch: int = 1024, background: bool = True) -> None:
        self.path = str(path)
        self.batch = batch
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db_lock = threading.Lock()
        self._lock = threading.Lock()
        self._committed_cond = threading.Condition(self._lock)
        self._pending: list[tuple] = []
        self.appended = 0
        self._committed = 0
        self._error: BaseException | None = None
        self._stop = False
        self._wake = threading.Event()
        self._thread = None
        if background:
            self._thread = threading.Thread(target=self._writer, name="audit-writer", daemon=True)
            self._thread.start()

    def append(
        self,
        received_ns: int,
        subject: str,
        sender: str,
        seq: int | None,
        type: str | None,  # noqa: A002
        verdict: str,
        reason: str | None,
        detail: str,
        data: bytes,
    ) -> None:
        """Buffer one record; committed soon after (see :meth:`commit_soon`, :meth:`flush`), at
        the latest when ``batch`` records are waiting."""
        row = (received_ns, subject, sender, seq, type, verdict, reason, detail, data)
        with self._lock:
            self._pending.append(row)
            self.appended += 1
            full = len(self._pending) >= self.batch
        if full:
            self.commit_soon()

    def put_meta(self, key: str, value: str | bytes) -> None:
        """Record what a replay needs besides the envelopes (the policy's text, the public keys,
        the fusion's settings...); each key once."""
        with self._db_lock:
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta(self) -> dict[str, str | bytes]:
        with self._db_lock:
            return dict(self._db.execute("SELECT key, value FROM meta ORDER BY key"))

    @property
    def pending(self) -> int:
        """Records appended but not yet committed."""
        with self._lock:
            return self.appended - self._committed

    def commit_soon(self) -> None:
        """Start committing what is buffered, without waiting (in the caller's thread when
        there is no writer thread)."""
        if self._thread is None:
            self._write()
        else:
            self._wake.set()

    def flush(self) -> None:
        """Return once every record appended so far is committed; raises the writer's error."""
        if self._thread is None:
            self._write()
            return
        with self._lock:
            target = self.appended
        self._wake.set()
        with self._committed_cond:
            self._committed_cond.wait_for(lambda: self._committed >= target or self._error)
            if self._error is not None and self._committed < target:
                raise RuntimeError(f"audit log {self.path}: write failed") from self._error

    def _write(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return
        with self._db_lock:
            db = self._db
            db.execute("BEGIN")
            try:
                db.executemany(_INSERT, rows)
            except BaseException:
                db.execute("ROLLBACK")
                with self._lock:
                    self._pending = rows + self._pending
                raise
            db.execute("COMMIT")
        with self._committed_cond:
            self._committed += len(rows)
            self._error = None
            self._committed_cond.notify_all()

    def _writer(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self._write()
            except Exception as e:  # kept for flush() to raise; rows stay pending
                log.exception("audit log %s: write failed", self.path)
                with self._committed_cond:
                    self._error = e
                    self._committed_cond.notify_all()
                time.sleep(0.1)
            if self._stop:
                return

    def __iter__(self) -> Iterator[AuditRecord]:
        """Every record appended so far, in append order (flushes first)."""
        self.flush()
        with self._db_lock:
            rows = self._db.execute(
                "SELECT id, received_ns, subject, sender, seq, type, verdict, reason, detail, data"
                " FROM envelopes ORDER BY id"
            ).fetchall()
        return (AuditRecord(*row) for row in rows)

    def __len__(self) -> int:
        self.flush()
        with self._db_lock:
            return self._db.execute("SELECT count(*) FROM envelopes").fetchone()[0]

    def close(self) -> None:
        """Commit everything, stop the writer, close the database."""
        if self._thread is not None:
            self.flush()
            self._stop = True
            self._wake.set()
            self._thread.join()
            self._thread = None
        self._write()
        with self._db_lock:
            self._db.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_audit(path: str | Path) -> Iterator[AuditRecord]:
    """The records of an audit log file, in order, read-only."""
    db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        yield from (
            AuditRecord(*row)
            for row in db.execute(
                "SELECT id, received_ns, subject, sender, seq, type, verdict, reason, detail, data"
                " FROM envelopes ORDER BY id"
            )
        )
    finally:
        db.close()


def read_meta(path: str | Path) -> dict[str, str | bytes]:
    """The metadata of an audit log file (see :meth:`AuditLog.put_meta`)."""
    db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT key, value FROM meta ORDER BY key"))
    finally:
        db.close()


def bench_audit(path: str | Path, n: int = 50_000, size: int = 400, batch: int = 1024) -> dict:
    """Appends per second of ``n`` records of ``size`` bytes, flushed every ``batch``, and with
    a commit per record for comparison."""
    blob = bytes(size)
    out = {"n": n, "size": size, "batch": batch}
    for label, b, count in (("batched_per_s", batch, n), ("per_record_per_s", 1, n // 10)):
        p = Path(f"{path}.{label}")
        log = AuditLog(p, batch=b)
        t0 = time.perf_counter()
        for i in range(count):
            log.append(
                i, "lookout.in.KR.detection", "KR", i, "detection", "accepted", None, "", blob
            )
        log.flush()
        out[label] = count / (time.perf_counter() - t0)
        log.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{p}{suffix}").unlink(missing_ok=True)
    return out
