"""Recording what went out. A message is marked sent after it is sent, at most MARK_EVERY to a statement, and
never more than MARK_EVERY are sent and unrecorded at once: that is what a kill -9 of the worker can send twice
(always with the same Message-ID: the sweeper queues the unrecorded rows again after the lease).

In a worker on PostgreSQL the statements run on a thread of the process's own, with a connection of its own, while
the next messages go out; the sender waits only when MARK_EVERY messages are unrecorded. Elsewhere (SQLite, or
inside a transaction, whose rows another connection cannot see) they run inline, every MARK_EVERY messages.
"""

from __future__ import annotations

import logging
import threading
import time
from uuid import UUID

from django import db
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections
from django.utils import timezone

from ..models import Delivery

logger = logging.getLogger(__name__)

MARK_EVERY = 5  # the most messages ever sent and not yet recorded: what a kill -9 can send twice
RECORD_AT = MARK_EVERY - 1  # the recording thread writes when this many are waiting, while one more goes out
LINGER_SECONDS = 0.05  # … or when fewer have waited this long (a slow rate limit)
IDLE_SECONDS = 5.0  # the recording thread ends (closing its connection) after this long without work

Row = tuple[UUID, int, str]  # the claim's token, the delivery's id, the ESP's message id ("" for SMTP)


def db_retry(write):
    """Run a database write, retrying through a short outage. Used where giving up would send a message twice
    (recording that it went out) or send it without holding it (renewing the lease), and for the send clock."""
    deadline = time.monotonic() + settings.EMAIL_SENDING_LEASE_SECONDS / 2
    pause = 0.2
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            logger.warning("Database unavailable while recording sends; retrying in %.1fs", pause)
            try:
                db.connection.close()  # the next query opens a fresh connection
            except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail; it is discarded anyway
                pass
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def mark_sent(rows: list[Row]) -> int:
    """Mark these rows sent, in one statement. A row the sweeper took back meanwhile (queued again, not yet claimed
    by anyone) is marked too: we know it went out. Idempotent, so it is retried as it is.

    Written as SQL: it runs for every MARK_EVERY messages, and building it with the ORM cost twice what the
    database takes to run it."""
    field = Delivery._meta.get_field
    tokens = list({token for token, _id, _esp in rows})
    ids = [delivery_id for _token, delivery_id, _esp in rows]
    esp_ids = [(delivery_id, esp[:200]) for _token, delivery_id, esp in rows if esp]
    params: list = [Delivery.Status.SENT, field("sent_at").get_db_prep_value(timezone.now(), connection), ""]
    esp_set = ""
    if esp_ids:  # the ESP's id, for matching its webhooks later
        esp_set = f", esp_message_id = CASE id{' WHEN %s THEN %s' * len(esp_ids)} ELSE esp_message_id END"
        params += [value for pair in esp_ids for value in pair]
    params += [field("claim_token").get_db_prep_value(token, connection) for token in tokens]
    params += [Delivery.Status.SENDING, Delivery.Status.QUEUED, *ids]
    marks = ", ".join
    sql = (
        f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, last_error = %s, claim_token = NULL{esp_set}"  # noqa: S608
        f" WHERE ((claim_token IN ({marks(['%s'] * len(tokens))}) AND status = %s) OR status = %s)"
        f" AND id IN ({marks(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


class Inline:
    """Records on the sender's own connection, every MARK_EVERY messages."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def room(self) -> None:
        """Return when another message may be sent (inline: at once; the sender records as it goes)."""

    def add(self, rows: list[Row]) -> None:
        self.rows += rows
        if len(self.rows) >= MARK_EVERY:
            self.flush()

    def flush(self) -> None:
        """Return once everything added is recorded."""
        rows, self.rows = self.rows, []
        if rows:
            db_retry(lambda: mark_sent(rows))


class Background:
    """Records on a thread of its own (one per process, started when needed, ended when idle), while the sender
    goes on; `room()` holds the sender back while MARK_EVERY messages are unrecorded."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.pending: list[Row] = []
        self.unrecorded = 0  # pending, plus those being recorded now
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.flushing = 0  # senders waiting for everything to be recorded
        self.stopping = False

    def room(self) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.unrecorded < MARK_EVERY or self.error)
            self._raise()

    def add(self, rows: list[Row]) -> None:
        with self.changed:
            self.pending += rows
            self.unrecorded += len(rows)
            if self.thread is None:
                self.stopping = False
                self.thread = threading.Thread(target=self._run, name="outbox-recorder", daemon=True)
                self.thread.start()
            if len(self.pending) >= RECORD_AT:
                self.changed.notify_all()

    def flush(self) -> None:
        with self.changed:
            self.flushing += 1
            self.changed.notify_all()
            try:
                self.changed.wait_for(lambda: not self.unrecorded or self.error)
            finally:
                self.flushing -= 1
            self._raise()

    def stop(self) -> None:
        """End the thread once it has recorded everything (and close its connection)."""
        with self.changed:
            thread, self.stopping = self.thread, True
            self.changed.notify_all()
        if thread is not None:
            thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _ready(self) -> bool:
        return len(self.pending) >= RECORD_AT or bool(self.pending and self.flushing) or self.stopping

    def _next(self) -> list[Row]:
        """The rows to record next; none when the thread is to end."""
        idle_until = time.monotonic() + IDLE_SECONDS
        with self.changed:
            while not self.changed.wait_for(self._ready, timeout=LINGER_SECONDS):
                if self.pending or time.monotonic() > idle_until:
                    break
            rows, self.pending = self.pending, []
            if not rows:
                self.thread = None  # under the lock: the next add() starts another
            return rows

    def _run(self) -> None:
        try:
            while rows := self._next():
                error = None
                try:
                    db_retry(lambda rows=rows: mark_sent(rows))
                except Exception as caught:  # noqa: BLE001 - handed to the sender, whose task then fails
                    logger.exception("Could not record %d sent messages; the sweeper resends them", len(rows))
                    error = caught
                finally:
                    with self.changed:
                        self.error = self.error or error
                        self.unrecorded -= len(rows)
                        self.changed.notify_all()
        finally:
            connections.close_all()  # this thread's own connection
            with self.changed:
                if self.thread is threading.current_thread():
                    self.thread = None


BACKGROUND = Background()


def recorder_for_this_connection() -> Inline | Background:
    """The background recorder where it can see the sender's rows (PostgreSQL, autocommit), else an inline one."""
    import os

    if os.environ.get("XREC") == "inline":
        return Inline()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return BACKGROUND
    return Inline()
