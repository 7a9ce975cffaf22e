"""Small named exceptions. The bot turns each into a short ephemeral message; `str(exc)` is that message."""

from __future__ import annotations


class BriefbotError(Exception):
    """Base of every error whose message is safe to show a user."""


class EmbedderMismatchError(BriefbotError):
    """The index was built by another embedder or dimension than the one configured."""


class IndexEmptyError(BriefbotError):
    """Nothing is indexed yet."""


class ReindexRunningError(BriefbotError):
    """Another process or task holds the single-writer lock."""


class LoadError(BriefbotError):
    """A file, line or document could not be turned into an article."""


class FetchError(BriefbotError):
    """A feed or page could not be fetched (timeout, too large, refused address, HTTP error)."""


class UnsafeURLError(FetchError):
    """The URL's scheme or address is refused (SSRF protection)."""


class LLMUnavailableError(BriefbotError):
    """The configured LLM endpoint failed after bounded retries."""


class DateOutOfRangeError(BriefbotError):
    """A date (or a window around it) falls outside what the calendar can represent."""


class SourceError(BriefbotError):
    """A source cannot be added or removed (unknown kind, missing folder, not configured)."""
