"""Deprecated: use tests.factories (CampaignFactory, SegmentFactory, start_sending).

Kept only for tests/network/test_lengths.py, which is being changed on another branch; delete this file once that
test imports from tests.factories."""

from __future__ import annotations

from campaigns.models import Campaign, Segment
from tests.factories import CampaignFactory, SegmentFactory, start_sending

start = start_sending
segment = SegmentFactory


def campaign(audience: Segment | None = None, **fields) -> Campaign:
    return CampaignFactory(**fields) if audience is None else CampaignFactory(segment=audience, **fields)
