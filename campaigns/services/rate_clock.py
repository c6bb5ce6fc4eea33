"""The rate limit (EMAIL_RATE_PER_MINUTE), shared by every worker: one clock row hands out send times."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from ..models import SendClock
from .recorder import db_retry


def send_slots(count: int, *, now: float | None = None) -> list[float]:
    """Reserve `count` send times (epoch seconds) spaced by the configured rate, shared by all workers."""
    per_minute = settings.EMAIL_RATE_PER_MINUTE
    now = time.time() if now is None else now
    if per_minute <= 0 or count <= 0:
        return [now] * count
    interval = 60.0 / per_minute
    with transaction.atomic():
        clock, _created = SendClock.objects.select_for_update().get_or_create(pk=1)
        first = max(now, clock.next_slot)
        clock.next_slot = first + interval * count
        clock.save(update_fields=["next_slot"])
    return [first + interval * i for i in range(count)]


class RateClock:
    """Send slots from the shared clock, reserved for one claim at a time before it is claimed: the slots are
    contiguous, so a claim of n rows is sent within n intervals however many workers share the rate (it never
    outlives its lease waiting for them), and only rows that may be sent are counted."""

    def __init__(self):
        self.slots: list[float] = []

    @staticmethod
    def limited() -> bool:
        return settings.EMAIL_RATE_PER_MINUTE > 0

    def reserve(self, count: int) -> None:
        """Take `count` slots and wait for the first."""
        if self.limited() and count > 0:
            self.slots = db_retry(lambda: send_slots(count))
            if (pause := self.slots[0] - time.time()) > 0:
                time.sleep(pause)

    def wait(self) -> None:
        if not self.limited():
            return
        interval = 60.0 / settings.EMAIL_RATE_PER_MINUTE
        while self.slots:
            pause = self.slots.pop(0) - time.time()
            # A slot missed by more than one interval (the worker was busy) is given up rather than used late,
            # so that late sends never bunch up above the rate.
            if pause >= -interval:
                if pause > 0:
                    time.sleep(pause)
                return
        # A fresh slot is used however late: reserving it may itself take longer than an interval (a busy
        # database at a high rate), and giving it up would only reserve the next one, for ever.
        (slot,) = db_retry(lambda: send_slots(1))
        if (pause := slot - time.time()) > 0:
            time.sleep(pause)
