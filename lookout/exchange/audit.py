"""The append-only, hash-chained audit log: every envelope the exchange receives, with its verdict.

SQLite (stdlib) in WAL mode. Triggers refuse UPDATE and DELETE, and every row carries a hash
chained to the row before it: ``hash = SHA-256(previous hash || MessagePack of the row's
fields, id included)``, from :data:`GENESIS`. So a row changed, removed or inserted anywhere
(even by someone who drops the triggers) breaks the chain from there on, which :func:`verify`
finds; a row cut from the end is found against the last *checkpoint*: on a clean close the log
writes one (the last row's id and hash, signed with the exchange's key when it has it), and
folds the WAL into the main file so that the ``.sqlite`` alone is complete. After a kill the
last rows live in the ``-wal`` file beside it: :func:`export` makes one consistent copy with
them (SQLite's backup API reads through the WAL).

Rows are buffered and written in one transaction when ``batch`` rows are waiting or when asked
(the exchange asks at most 5 ms after a row arrives), by a writer thread, so the exchange's
cost per envelope is one tuple append and a commit's fsync never stalls its loop. ``sync``
is SQLite's ``synchronous``: ``"FULL"`` (the default) fsyncs the WAL at every commit, so a
committed row survives a power loss, not only a process kill; ``"NORMAL"`` survives a kill but
may lose the last commits in a power loss. :func:`bench_audit` measures both.

A row taken from a stream message (the NATS bus) records the stream and its sequence
(``stream``, ``stream_seq``) on the row of the message's last envelope, so a recorded sequence
means every envelope of that message has its row: where the exchange's intake stands
(:meth:`AuditLog.intake_records`, :mod:`.intake`). They are chained with the row.

The ``state`` table holds what a restarted exchange resumes from (the highest sequence number
and system-track id it may have used: :meth:`AuditLog.reserve`), appended, never changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

#: The hash before the first row.
GENESIS = hashlib.sha256(b"lookout-audit-genesis").digest()
#: The log's format: 2 is hash-chained with verdict "late"; 1 (no chain) is read as before.
FORMAT = "2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS envelopes (
    id INTEGER PRIMARY KEY,
    received_ns INTEGER NOT NULL,
    subject TEXT NOT NULL,
    sender TEXT NOT NULL,
    seq INTEGER,
    type TEXT,
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'late', 'refused')),
    reason TEXT,
    detail TEXT NOT NULL DEFAULT '',
    data BLOB NOT NULL,
    hash BLOB NOT NULL,
    stream TEXT,
    stream_seq INTEGER
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY,
    row_id INTEGER NOT NULL,
    hash BLOB NOT NULL,
    at_unix_ns INTEGER NOT NULL,
    signature BLOB
);
"""
_APPEND_ONLY = ("envelopes", "meta", "state", "checkpoints")
_TRIGGERS = "".join(
    f"""
CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t}
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t}
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"""
    for t in _APPEND_ONLY
)
log = logging.getLogger(__name__)

_COLUMNS = "id, received_ns, subject, sender, seq, type, verdict, reason, detail, data"
_ORIGIN = "stream, stream_seq"
_INSERT = (
    f"INSERT INTO envelopes ({_COLUMNS}, {_ORIGIN}, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_encode = msgspec.msgpack.Encoder().encode


def row_hash(previous: bytes, row: tuple) -> bytes:
    """The chained hash of one row ``(id, received_ns, subject, sender, seq, type, verdict,
    reason, detail, data)`` after ``previous``; a row that records a stream message
    (``stream``, ``stream_seq`` not NULL) has them appended to the tuple, so they are chained
    too (and a row without them hashes as before they existed)."""
    if len(row) == 12 and row[11] is None:
        row = row[:10]
    return hashlib.sha256(previous + _encode(row)).digest()


def checkpoint_bytes(row_id: int, digest: bytes, at_unix_ns: int) -> bytes:
    """What a checkpoint's signature covers."""
    return b"lookout-audit-checkpoint\x00" + _encode([row_id, digest, at_unix_ns])


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audited envelope: receive time (ns, exchange clock), subject, sender (as read, or as
    claimed by the subject), seq and type (None if unreadable), verdict "accepted", "late" or
    "refused", the reason (of a refusal, or "late") and detail, and the raw envelope bytes; the
    inbound stream and the sequence of the message it was the last envelope of (else None)."""

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

    stream: str | None = None
    stream_seq: int | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict == "accepted"

    @property
    def taken(self) -> bool:
        """Accepted or late: genuine and new, its sequence number used."""
        return self.verdict in ("accepted", "late")


def _resolve(future: asyncio.Future, error: BaseException | None) -> None:
    """Set ``future``'s outcome in its loop's thread (from the audit writer's)."""
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class AuditLog:
    """An append-only, hash-chained SQLite audit log at ``path`` (":memory:" for a throwaway).

    With ``background`` (the default) a writer thread does the SQLite work, so a commit or a
    WAL checkpoint (which fsyncs) never stalls the caller's event loop; :meth:`append` and
    :meth:`commit_soon` never block on the disk, :meth:`flush` waits until every row appended
    so far is committed. ``sign`` (bytes -> signature), if given, signs the checkpoint written
    by :meth:`close`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        batch: int = 1024,
        background: bool = True,
        sync: str = "FULL",
        sign: Callable[[bytes], bytes] | None = None,
    ) -> None:
        if sync.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"sync = {sync!r}, expected FULL, NORMAL, EXTRA or OFF")
        self.path = str(path)
        self.batch = batch
        self.sign = sign
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={sync.upper()}")
        columns = [r[1] for r in self._db.execute("PRAGMA table_info(envelopes)")]
        if columns and "hash" not in columns:
            raise ValueError(
                f"{self.path}: an audit log of format 1 (no hash chain): read it with "
                "read_audit, write a new one elsewhere"
            )
        self._db.executescript(_SCHEMA + _TRIGGERS)
        columns = [r[1] for r in self._db.execute("PRAGMA table_info(envelopes)")]
        for name, kind in (("stream", "TEXT"), ("stream_seq", "INTEGER")):
            if name not in columns:  # a log written before the intake's record
                self._db.execute(f"ALTER TABLE envelopes ADD COLUMN {name} {kind}")
        if "audit_format" not in dict(self._db.execute("SELECT key, value FROM meta")):
            self._db.execute("INSERT INTO meta (key, value) VALUES ('audit_format', ?)", (FORMAT,))
        last = self._db.execute(
            "SELECT id, hash FROM envelopes ORDER BY id DESC LIMIT 1"
        ).fetchone()
        self._last_id, self._last_hash = (last[0], last[1]) if last else (0, GENESIS)
        self._db_lock = threading.Lock()
        self._lock = threading.Lock()
        self._committed_cond = threading.Condition(self._lock)
        self._pending: list[tuple] = []
        # flush_async's waiters: (records to be committed, their loop, the future to resolve)
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future]] = []
        self.appended = 0
        self._committed = 0
        self._error: BaseException | None = None
        self._stop = False
        self._closed = False
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
        origin: tuple[str, int] | None = None,
    ) -> int:
        """Buffer one record; committed soon after (see :meth:`commit_soon`, :meth:`flush`), at
        the latest when ``batch`` records are waiting. Returns its number in the append order
        (1, 2, ...): :meth:`committed_through` tells when it is on disk. ``origin``: (stream,
        sequence) of the stream message this envelope was the last of."""
        stream, stream_seq = origin if origin is not None else (None, None)
        row = (received_ns, subject, sender, seq, type, verdict, reason, detail, bytes(data),
               stream, stream_seq)  # fmt: skip
        with self._lock:
            self._pending.append(row)
            self.appended += 1
            n = self.appended
            full = len(self._pending) >= self.batch
        if full:
            self.commit_soon()
        return n

    def put_meta(self, key: str, value: str | bytes) -> None:
        """Record what a replay needs besides the envelopes (the policy's text, the public keys,
        the fusion's settings...); each key once."""
        with self._db_lock:
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta(self) -> dict[str, str | bytes]:
        with self._db_lock:
            return dict(self._db.execute("SELECT key, value FROM meta ORDER BY key"))

    def reserve(self, key: str, value: int) -> None:
        """Record durably (committed before returning) that ``key`` may have reached ``value``:
        a restarted exchange starts above it (:meth:`state`)."""
        with self._db_lock:
            self._db.execute("INSERT INTO state (key, value) VALUES (?, ?)", (key, int(value)))

    def state(self, key: str) -> int | None:
        """The last value :meth:`reserve` recorded for ``key``, or None."""
        with self._db_lock:
            row = self._db.execute(
                "SELECT value FROM state WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)
            ).fetchone()
        return None if row is None else row[0]

    def taken(self, tail: int = 100_000) -> Iterator[tuple[str, str, int, bytes, bool, int | None]]:
        """``(sender, type, seq, signature, late, sent_ns)`` of the envelopes taken (accepted or
        late): the highest per sender and type (no signature, no time), then the last ``tail``
        rows in order; what :meth:`~.verify.Verifier.restore` needs after a restart."""
        from lookout.exchange.envelope import decode

        self.flush()
        with self._db_lock:
            highs = self._db.execute(
                "SELECT sender, type, max(seq) FROM envelopes WHERE verdict != 'refused' "
                "GROUP BY sender, type"
            ).fetchall()
            rows = self._db.execute(
                "SELECT sender, type, seq, data, verdict FROM envelopes WHERE verdict != 'refused' "
                "AND id > ? ORDER BY id",
                (self._last_id - tail,),
            ).fetchall()
        for sender, kind, seq in highs:
            yield sender, kind, seq, b"", False, None
        for sender, kind, seq, data, verdict in rows:
            env = decode(data)
            yield sender, kind, seq, env.signature, verdict == "late", env.sent_ns

    def intake_records(self, tail: int = 100_000) -> list[tuple[str, int]]:
        """``(stream, stream_seq)`` of the stream messages whose envelopes all have their row,
        among the last ``tail`` rows, in order: where the exchange's intake stands."""
        self.flush()
        with self._db_lock:
            return self._db.execute(
                "SELECT stream, stream_seq FROM envelopes WHERE stream_seq IS NOT NULL "
                "AND id > ? ORDER BY id",
                (self._last_id - tail,),
            ).fetchall()

    @property
    def pending(self) -> int:
        """Records appended but not yet committed."""
        with self._lock:
            return self.appended - self._committed

    def committed_through(self) -> int:
        """How many of the records appended so far are committed."""
        with self._lock:
            return self._committed

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

    async def flush_async(self) -> None:
        """:meth:`flush` for an event loop's task: the writer thread resolves a future once
        every record appended so far is committed (no thread of the loop's pool held to wait
        on it); raises as :meth:`flush` does."""
        if self._thread is None:
            self._write()
            return
        with self._lock:
            target = self.appended
            if self._committed >= target:
                return
            future = asyncio.get_running_loop().create_future()
            self._waiters.append((target, future.get_loop(), future))
        self._wake.set()
        await future

    def _settle_waiters(self) -> None:
        """Resolve the waiters of :meth:`flush_async` whose records are committed, or, after a
        failed write, fail those still waiting (called with ``_lock`` held)."""
        keep = []
        for target, loop, future in self._waiters:
            if self._committed >= target:
                outcome = None
            elif self._error is not None:
                outcome = RuntimeError(f"audit log {self.path}: write failed")
            else:
                keep.append((target, loop, future))
                continue
            try:
                loop.call_soon_threadsafe(_resolve, future, outcome)
            except RuntimeError:  # its loop is closed: nobody waits any more
                pass
        self._waiters = keep

    def _write(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return
        with self._db_lock:
            db = self._db
            last_id, last_hash = self._last_id, self._last_hash
            chained = []
            for row in rows:
                last_id += 1
                full = (last_id, *row)
                last_hash = row_hash(last_hash, full)
                chained.append((*full, last_hash))
            db.execute("BEGIN")
            try:
                db.executemany(_INSERT, chained)
            except BaseException:
                db.execute("ROLLBACK")
                with self._lock:
                    self._pending = rows + self._pending
                raise
            db.execute("COMMIT")
            self._last_id, self._last_hash = last_id, last_hash
        with self._committed_cond:
            self._committed += len(rows)
            self._error = None
            self._committed_cond.notify_all()
            if self._waiters:
                self._settle_waiters()

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
                    self._settle_waiters()
                time.sleep(0.1)
            if self._stop:
                return

    def __iter__(self) -> Iterator[AuditRecord]:
        """Every record appended so far, in append order (flushes first)."""
        self.flush()
        with self._db_lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS}, {_ORIGIN} FROM envelopes ORDER BY id"
            ).fetchall()
        return (AuditRecord(*row) for row in rows)

    def __len__(self) -> int:
        self.flush()
        with self._db_lock:
            return self._db.execute("SELECT count(*) FROM envelopes").fetchone()[0]

    def checkpoint(self) -> None:
        """Commit everything, record a checkpoint of the chain's head (signed if the log has
        ``sign``), and fold the WAL into the main file."""
        self.flush()
        with self._db_lock:
            at = time.time_ns()
            sig = (
                self.sign(checkpoint_bytes(self._last_id, self._last_hash, at))
                if self.sign
                else None
            )
            self._db.execute(
                "INSERT INTO checkpoints (row_id, hash, at_unix_ns, signature) VALUES (?, ?, ?, ?)",
                (self._last_id, self._last_hash, at, sig),
            )
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Commit everything, checkpoint (see :meth:`checkpoint`), stop the writer, close."""
        if self._closed:
            return
        if self.path != ":memory:":
            self.checkpoint()
        if self._thread is not None:
            self.flush()
            self._stop = True
            self._wake.set()
            self._thread.join()
            self._thread = None
        self._write()
        with self._db_lock:
            self._db.close()
        self._closed = True

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _connect_ro(path: str | Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise FileNotFoundError(f"audit log {str(path)!r} does not exist")
    return sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)


def _origin_columns(db: sqlite3.Connection) -> str:
    """The origin columns to select: NULLs in a log written before they existed."""
    columns = [r[1] for r in db.execute("PRAGMA table_info(envelopes)")]
    return _ORIGIN if "stream_seq" in columns else "NULL, NULL"


def read_audit(path: str | Path) -> Iterator[AuditRecord]:
    """The records of an audit log file (either format), in order, read-only."""
    db = _connect_ro(path)
    try:
        origin = _origin_columns(db)
        yield from (
            AuditRecord(*row)
            for row in db.execute(f"SELECT {_COLUMNS}, {origin} FROM envelopes ORDER BY id")
        )
    finally:
        db.close()


def read_meta(path: str | Path) -> dict[str, str | bytes]:
    """The metadata of an audit log file (see :meth:`AuditLog.put_meta`)."""
    db = _connect_ro(path)
    try:
        return dict(db.execute("SELECT key, value FROM meta ORDER BY key"))
    finally:
        db.close()


@dataclass
class Verification:
    """What :func:`verify` found: ``rows`` checked, ``signatures`` verified, ``checkpoints``
    matched, and every ``problems`` (empty: the log is intact)."""

    rows: int = 0
    signatures: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    last_checkpoint_row: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    path: str | Path,
    keyring: dict | None = None,
    exchange_key=None,
    *,
    max_problems: int = 20,
) -> Verification:
    """Check an audit log: the hash chain over every row (a row changed, removed or inserted
    breaks it), the ids consecutive, each checkpoint on the chain (so rows cut from the end
    before the last checkpoint are found) and its signature with ``exchange_key`` (an Ed25519
    public key), and, with ``keyring`` (sender -> public key), the signature of every envelope
    the log says was accepted or late."""
    from lookout.exchange.envelope import decode, signature_ok

    out = Verification()

    def problem(text: str) -> None:
        if len(out.problems) < max_problems:
            out.problems.append(text)
        elif len(out.problems) == max_problems:
            out.problems.append("(more problems not listed)")

    db = _connect_ro(path)
    try:
        columns = [r[1] for r in db.execute("PRAGMA table_info(envelopes)")]
        if "hash" not in columns:
            out.problems.append(f"{path}: format 1 log, no hash chain to check")
            return out
        heads: dict[int, bytes] = {}
        checkpoints = db.execute(
            "SELECT id, row_id, hash, at_unix_ns, signature FROM checkpoints ORDER BY id"
        ).fetchall()
        wanted = {c[1] for c in checkpoints}
        previous, expected_id = GENESIS, 1
        origin = _origin_columns(db)
        for row in db.execute(f"SELECT {_COLUMNS}, {origin}, hash FROM envelopes ORDER BY id"):
            fields, stored = row[:-1], row[-1]
            out.rows += 1
            if fields[0] != expected_id:
                problem(f"row {fields[0]}: expected id {expected_id} (a row removed or inserted)")
            expected_id = fields[0] + 1
            digest = row_hash(previous, fields)
            if digest != stored:
                problem(f"row {fields[0]}: hash does not chain (the row or one before it changed)")
            previous = stored
            if fields[0] in wanted:
                heads[fields[0]] = stored
            if keyring is not None and fields[6] in ("accepted", "late"):
                try:
                    env = decode(fields[9])
                    key = keyring.get(env.sender)
                    good = key is not None and env.sender == fields[3] and signature_ok(env, key)
                except Exception:  # noqa: BLE001 - undecodable data in an accepted row
                    good = False
                if good:
                    out.signatures += 1
                else:
                    problem(f"row {fields[0]}: {fields[6]} but its envelope's signature fails")
        for cid, row_id, digest, at, sig in checkpoints:
            if row_id == 0 and digest == GENESIS:
                pass
            elif heads.get(row_id) != digest:
                problem(
                    f"checkpoint {cid}: row {row_id} missing or changed since the checkpoint "
                    "(rows cut from the end, or rewritten)"
                )
                continue
            if exchange_key is not None:
                try:
                    exchange_key.verify(sig or b"", checkpoint_bytes(row_id, digest, at))
                except Exception:  # noqa: BLE001 - InvalidSignature or a missing one
                    problem(f"checkpoint {cid}: signature is not the exchange's")
                    continue
            out.checkpoints += 1
            out.last_checkpoint_row = max(out.last_checkpoint_row, row_id)
    finally:
        db.close()
    return out


def export(path: str | Path, out: str | Path) -> int:
    """Copy the audit log at ``path`` into one self-contained SQLite file ``out``, with what
    its ``-wal`` file holds (after a kill the last commits are only there); returns the rows.
    Leaves the original untouched."""
    src = _connect_ro(path)
    Path(out).unlink(missing_ok=True)
    dst = sqlite3.connect(str(out))
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        return dst.execute("SELECT count(*) FROM envelopes").fetchone()[0]
    finally:
        dst.close()
        src.close()


def bench_audit(path: str | Path, n: int = 50_000, size: int = 400, batch: int = 1024) -> dict:
    """Appends per second of ``n`` records of ``size`` bytes, batched (``sync`` FULL and
    NORMAL) and with a commit per record for comparison."""
    blob = bytes(size)
    out = {"n": n, "size": size, "batch": batch}
    cases = (
        ("batched_full_per_s", batch, n, "FULL"),
        ("batched_normal_per_s", batch, n, "NORMAL"),
        ("per_record_full_per_s", 1, n // 50, "FULL"),
    )
    for label, b, count, sync in cases:
        p = Path(f"{path}.{label}")
        log = AuditLog(p, batch=b, sync=sync)
        t0 = time.perf_counter()
        for i in range(count):
            log.append(
                i, "lookout.in.KR.detection", "KR", i, "detection", "accepted", None, "", blob
            )
            if b == 1:
                log.flush()
        log.flush()
        out[label] = count / (time.perf_counter() - t0)
        log.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{p}{suffix}").unlink(missing_ok=True)
    return out
