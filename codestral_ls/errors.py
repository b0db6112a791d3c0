"""The one error hierarchy of codestral-ls.

CodestralError
├── SettingsError           a setting has a bad value (the rest still apply)
├── CommandLineError        the command line (or a file it names) is unusable: one line, exit 2
├── RequestRejected         we refused to ask the model (excluded file, bad position, too big, binary)
└── BackendError            asking the model failed; `kind` says how the user should hear of it
    ├── AuthError           401/403: wrong key, or a key for the other Mistral host
    ├── RateLimited         429: pause automatic requests until `retry_after_s` has passed
    ├── InvalidRequest      400/422: the backend's own detail text is in `detail`
    ├── ContextWindowExceeded  the prompt does not fit the server's context window (`n_ctx` tokens, when known)
    ├── ModelUnavailable    404 or "does not support insert": the model is missing or cannot do FIM
    ├── ServerError         5xx (`retry_after_s` when a 503 says when to come back)
    ├── TransportError      timeout, refused or dropped connection
    └── ProtocolError       a reply that does not parse as the wire format promised

Each HTTP status is mapped to one of these in `backends/http.py`, and nowhere else. Messages
never contain an API key: they are built from hosts, key *sources* and the backend's own text.
"""

from __future__ import annotations


class CodestralError(Exception):
    """Base of every error this package raises on purpose."""


class SettingsError(CodestralError):
    """A setting has a bad value; `key` names it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"codestral.{key}: {message}")
        self.key = key


class CommandLineError(CodestralError):
    """An argument, or a file or port named on the command line, cannot be used. The CLI prints
    the message on one line (no traceback) and exits with status 2."""


class RequestRejected(CodestralError):
    """We decided not to ask the model at all. Logged once, answered with an empty result."""


class BackendError(CodestralError):
    """Asking the model failed. `kind` is a stable short name used to tell the user once per kind."""

    kind = "backend"

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail  # the backend's own explanation (scrubbed of keys), or ""


class AuthError(BackendError):
    kind = "auth"


class RateLimited(BackendError):
    kind = "rate-limited"

    def __init__(self, message: str, *, retry_after_s: float, status: int | None = 429, detail: str = "") -> None:
        super().__init__(message, status=status, detail=detail)
        self.retry_after_s = retry_after_s


class InvalidRequest(BackendError):
    kind = "invalid-request"


class ContextWindowExceeded(BackendError):
    """The prompt is longer than the server's context window (llama.cpp `-c 2048`, Ollama `num_ctx`).

    `n_ctx` is the window in tokens when the server said so. The pipeline reacts by shrinking its
    prompt budget and retrying once, so the user is not told of it on every keystroke.
    """

    kind = "context-window"

    def __init__(self, message: str, *, n_ctx: int | None = None, status: int | None = None, detail: str = "") -> None:
        super().__init__(message, status=status, detail=detail)
        self.n_ctx = n_ctx


class ModelUnavailable(BackendError):
    kind = "model"


class ServerError(BackendError):
    kind = "server"

    def __init__(
        self, message: str, *, status: int | None = None, detail: str = "", retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.retry_after_s = retry_after_s


class TransportError(BackendError):
    kind = "transport"


class ProtocolError(BackendError):
    kind = "protocol"
