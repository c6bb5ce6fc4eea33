from __future__ import annotations

import pytest

from tests.campaigns.esp_webhooks import ROUTED


@pytest.fixture
def webhook_secret(settings):
    """The webhook secret the ESPs authenticate with, and both ESPs' tracking webhooks routed."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    settings.EMAIL_WEBHOOK_ESPS = ROUTED
