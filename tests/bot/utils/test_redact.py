"""Interaction tokens that discord.py logs at DEBUG are masked before any handler writes them."""

from __future__ import annotations

import logging

from bot.utils.redact import REDACTED, RedactingFilter, redact

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OmNhbmFyeS10b2tlbi12YWx1ZQ"


def test_webhook_urls_gateway_payloads_and_auth_headers_are_masked() -> None:
    assert redact(f"POST https://discord.com/api/v10/webhooks/1234/{TOKEN}/messages/@original") == (
        f"POST https://discord.com/api/v10/webhooks/1234/{REDACTED}/messages/@original"
    )
    assert TOKEN not in redact(f"/interactions/99/{TOKEN}/callback")
    assert TOKEN not in redact(f"event {{'type': 2, 'token': '{TOKEN}', 'id': '5'}}")
    assert TOKEN not in redact(f'{{"token": "{TOKEN}"}}')
    assert TOKEN not in redact(f"Authorization: Bot {TOKEN}")
    assert redact("nothing secret here [1]") == "nothing secret here [1]"


def test_the_filter_masks_formatted_records() -> None:
    record = logging.LogRecord("discord.http", logging.DEBUG, __file__, 1, "%s %s has returned %s",
                               ("POST", f"/webhooks/1/{TOKEN}", 204), None)
    assert RedactingFilter().filter(record)
    assert TOKEN not in record.getMessage() and REDACTED in record.getMessage()
