"""A log filter that masks Discord interaction tokens: discord.py logs them at DEBUG (gateway events and
webhook URLs), and a log file must never hold a credential."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]{20,}"),
    re.compile(r"""(["']token["']\s*:\s*["'])[^"']+"""),
    re.compile(r"(\bBot\s+)[A-Za-z0-9_.\-]{20,}"),
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record once, masks tokens, and keeps the masked text as the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install(handler_owner: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of the root logger (after logging is configured)."""
    for handler in (handler_owner or logging.getLogger()).handlers:
        handler.addFilter(RedactingFilter())
