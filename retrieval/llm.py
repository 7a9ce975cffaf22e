"""The OpenAI-compatible chat client: timeouts, bounded retries (tenacity), streaming, `max_tokens`.

Only `from_settings()` builds a real `openai.OpenAI`; tests hand in one pointed at 127.0.0.1.
Every failure leaves as `LLMUnavailableError` with a short message that is safe to show a user.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from retrieval.errors import LLMUnavailableError
from retrieval.settings import Settings

if TYPE_CHECKING:  # the client is imported where it is used: it costs ~0.5 s of a cold start
    import openai

log = logging.getLogger(__name__)

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Ollama and other local servers ignore the key, but the openai client insists on one.
PLACEHOLDER_API_KEY = "not-needed"
RETRY_AFTER_CAP_SECONDS = 8.0
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 4.0
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
CHARS_PER_TOKEN = 4  # rough estimate when a server reports no usage

Message = Mapping[str, str]
BUDGET_SPENT_MESSAGE = "The daily token allowance is spent."
# What a body of the wrong shape raises while we read it (the client does not validate responses).
MALFORMED_RESPONSE_ERRORS = (ValueError, TypeError, AttributeError, IndexError, KeyError)


class Completion(BaseModel):
    """What one chat call produced; token counts let the bot enforce per-user daily budgets."""

    model_config = ConfigDict(frozen=True)

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    truncated: bool = False  # finish_reason == "length": the text stops at max_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


UsageCallback = Callable[[Completion], None]


def _is_retryable(exc: BaseException) -> bool:
    """Rate limits, server errors and connection trouble (including timeouts); never 4xx mistakes."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS
    return isinstance(exc, openai.APIConnectionError)


def _retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's Retry-After (seconds or -ms header), if it gave one."""
    import openai

    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            seconds = float(value) * scale if value is not None else None
        except ValueError:
            seconds = None
        if seconds is not None and math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def _user_message(exc: BaseException) -> str:
    """A short reason without the URL, the key or a traceback."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "The language model did not answer in time."
    if isinstance(exc, openai.APIConnectionError):
        return "The language model could not be reached."
    if isinstance(exc, openai.RateLimitError):
        return "The language model is rate-limited; try again shortly."
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "The language model refused the configured credentials."
    if isinstance(exc, openai.APIStatusError):
        return f"The language model returned an error (HTTP {exc.status_code})."
    return "The language model returned a response that could not be read."


class ChatClient:
    """Chat completions with bounded retries; `complete()` and `stream()` return a `Completion`."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        max_tokens: int,
        max_retries: int = 2,
        backoff_base_seconds: float = BACKOFF_BASE_SECONDS,
        retry_after_cap_seconds: float = RETRY_AFTER_CAP_SECONDS,
    ) -> None:
        self._client = client
        self.model = model
        self.max_tokens = max_tokens
        self.max_retries = max(0, max_retries)
        self._backoff_base_seconds = backoff_base_seconds
        self._retry_after_cap_seconds = retry_after_cap_seconds
        self._on_usage: UsageCallback | None = None
        self._may_call: Callable[[], bool] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatClient:
        if not settings.has_llm:
            raise LLMUnavailableError("No language model is configured.")
        import openai

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else PLACEHOLDER_API_KEY
        client = openai.OpenAI(
            base_url=settings.openai_base_url or OPENAI_DEFAULT_BASE_URL,
            api_key=key,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,  # tenacity owns retries, so they are bounded and logged in one place
        )
        return cls(client, settings.chat_model, settings.llm_max_tokens, settings.llm_max_retries)

    def metered(self, on_usage: UsageCallback | None, may_call: Callable[[], bool] | None = None) -> ChatClient:
        """This client, reporting every call's tokens to `on_usage` and refusing calls once `may_call` says no.

        How a job that makes many calls (the brief: one per story) is charged to the user who asked,
        and stopped once their budget is spent instead of after all its calls.
        """
        view = copy.copy(self)
        view._on_usage, view._may_call = on_usage, may_call
        return view

    # --- public
    def complete(self, messages: Sequence[Message]) -> Completion:
        self._admit()
        return self._report(self._with_retries(lambda: self._complete_once(messages)))

    def stream(self, messages: Sequence[Message], on_delta: Callable[[str], None]) -> Completion:
        """Stream the answer, calling `on_delta` with each new piece of text in order."""
        self._admit()
        return self._report(self._with_retries(lambda: self._stream_once(messages, on_delta)))

    def _admit(self) -> None:
        if self._may_call is not None and not self._may_call():
            raise LLMUnavailableError(BUDGET_SPENT_MESSAGE)

    def _report(self, completion: Completion) -> Completion:
        if self._on_usage is not None:
            self._on_usage(completion)
        return completion

    # --- retries
    def _wait_seconds(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = _retry_after_seconds(exc)
        if retry_after is not None:
            return min(retry_after, self._retry_after_cap_seconds)
        return min(self._backoff_base_seconds * 2 ** (state.attempt_number - 1), BACKOFF_CAP_SECONDS)

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("LLM call failed (%s), retry %d of %d", _user_message(exc) if exc else "?",
                    state.attempt_number, self.max_retries)

    def _with_retries(self, attempt: Callable[[], Completion]) -> Completion:
        import openai

        retrying = Retrying(
            stop=stop_after_attempt(1 + self.max_retries),
            wait=self._wait_seconds,
            retry=retry_if_exception(_is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except LLMUnavailableError:
            raise
        except (openai.OpenAIError, *MALFORMED_RESPONSE_ERRORS) as exc:
            log.warning("LLM call gave up: %s (%s)", _user_message(exc), type(exc).__name__)
            raise LLMUnavailableError(_user_message(exc)) from None

    # --- one attempt
    def _request(self, messages: Sequence[Message], **extra: Any) -> Any:
        return self._client.chat.completions.create(
            model=self.model,
            messages=[dict(m) for m in messages],  # type: ignore[misc]
            max_tokens=self.max_tokens,
            **extra,
        )

    def _complete_once(self, messages: Sequence[Message]) -> Completion:
        response = self._request(messages)
        choices = getattr(response, "choices", None)
        if not choices:
            raise LLMUnavailableError("The language model returned no answer.")
        choice = choices[0]
        text = getattr(choice.message, "content", None)
        if not isinstance(text, str) or not text.strip():
            raise LLMUnavailableError("The language model returned an empty answer.")
        usage = getattr(response, "usage", None)
        return _completion(text, choice.finish_reason, usage, messages)

    def _stream_once(self, messages: Sequence[Message], on_delta: Callable[[str], None]) -> Completion:
        import openai

        chunks = self._request(messages, stream=True, stream_options={"include_usage": True})
        pieces: list[str] = []
        finish_reason: str | None = None
        usage = None
        try:
            for chunk in chunks:
                usage = getattr(chunk, "usage", None) or usage
                for choice in chunk.choices or ():
                    delta = getattr(choice.delta, "content", None) if choice.delta else None
                    if delta:
                        pieces.append(delta)
                        _safe_call(on_delta, delta)
                    finish_reason = choice.finish_reason or finish_reason
        except (openai.OpenAIError, *MALFORMED_RESPONSE_ERRORS) as exc:
            if not pieces:
                raise  # nothing shown yet: a retry is invisible to the user
            log.warning("LLM stream broke after %d pieces (%s)", len(pieces), type(exc).__name__)
            raise LLMUnavailableError("The language model's answer was cut off.") from None
        text = "".join(pieces)
        if finish_reason is None and not pieces:
            raise LLMUnavailableError("The language model returned no answer.")
        if finish_reason is None:
            raise LLMUnavailableError("The language model's answer was cut off.")
        if not text.strip():
            raise LLMUnavailableError("The language model returned an empty answer.")
        return _completion(text, finish_reason, usage, messages)


def _safe_call(on_delta: Callable[[str], None], delta: str) -> None:
    """A failing display callback (say, a Discord edit) must not lose the answer being streamed."""
    try:
        on_delta(delta)
    except Exception:
        log.exception("on_delta callback failed; streaming continues")


def _completion(text: str, finish_reason: str | None, usage: Any, messages: Iterable[Message]) -> Completion:
    """A `Completion`, estimating tokens from characters when the server sent no usage."""
    prompt_tokens = getattr(usage, "prompt_tokens", None)
    completion_tokens = getattr(usage, "completion_tokens", None)
    if not isinstance(prompt_tokens, int):
        prompt_tokens = sum(len(m.get("content", "")) for m in messages) // CHARS_PER_TOKEN
    if not isinstance(completion_tokens, int):
        completion_tokens = len(text) // CHARS_PER_TOKEN
    truncated = finish_reason == "length"
    if truncated:
        log.info("LLM answer truncated at max_tokens")
    return Completion(text=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                      truncated=truncated)
