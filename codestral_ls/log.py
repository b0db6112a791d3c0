"""Logging set-up: stderr or a file, never stdout (stdout carries LSP), and no secret ever written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Settings

# Shapes a secret can take in text we did not write ourselves: pygls logs every message it reads
# (InitializeParams, configuration replies) before our handlers have seen, let alone registered,
# the settings inside. JSON (`"k": "v"`), Python reprs (`'k': 'v'`, `k='v'`) and headers (`k: v`).
# Every repetition that can start at many places is bounded or anchored at a word start, so a
# long run of letters (a minified line, a base64 blob in a message) costs linear time, never
# quadratic: these run on every log record.
_SECRET_SHAPES = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"),
    # apiKey, api_key, MISTRAL_API_KEY, and the x-api-key header gateways use.
    re.compile(r"(?i)(['\"]?api[_-]?key['\"]?\s*[:=]\s*['\"]?)[^'\",\s}&#]+"),
    # Names that end in token/secret/password (access_token, X-Auth-Token, client_secret), and
    # Authorization with any scheme; not max_tokens or prompt_tokens.
    re.compile(
        r"(?i)((?<![\w-])['\"]?[\w-]{0,64}(?:token|secret|passw(?:or)?d|authorization)['\"]?\s*[:=]\s*['\"]?"
        r"(?:(?:basic|bearer|token|digest)\s+)?)(?!(?:None|null|true|false)\b)[^'\",\s})&#]+"
    ),
    # Query values with secret-looking names: Google's ?key=, Azure's ?api-key=, signed ?sig=.
    re.compile(r"(?i)([?&](?=[\w.-]{0,64}(?:key|token|secret|sig|auth|passw|credential))[\w.-]{1,80}=)[^&\s'\"#]+"),
    # A password in a URL: scheme://user:password@host.
    re.compile(r"(?i)((?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}://[^\s/:@'\"]{0,256}:)[^\s/@'\"]{1,256}(?=@)"),
    # A bare token as a URL's userinfo: scheme://TOKEN@host (or TOKEN:@host, an empty password).
    re.compile(r"(?i)((?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}://)[^\s/:@'\"]{1,256}:?(?=@)"),
)
# Environment variables that hold credentials: the keys each backend reads (CODESTRAL_API_KEY,
# MISTRAL_API_KEY, OLLAMA_API_KEY, LLAMA_API_KEY, ...) and the tokens other tools leave there.
_SECRET_ENV_NAME = re.compile(r"(?i)(?:API_?KEY|TOKEN|SECRET|PASSWORD)$")
# An environment value shorter than this is a flag or a number, not a credential.
_MIN_ENV_SECRET_CHARS = 8

# The `headers` setting, whatever its header names: every value in it is replaced.
_HEADERS_BLOCK = re.compile(r"(?i)(['\"]?headers['\"]?\s*[:=]\s*)(\{[^{}]*\})")
_HEADER_VALUE = re.compile(r"""(['"]\s*:\s*)(['"])((?:\\.|(?!\2).)*)\2""")


class SecretRedactor(logging.Filter):
    """Replaces known secrets and key-shaped text in every record with `***`."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def add_settings(self, settings: Settings) -> None:
        """Register every secret the settings hold: the key, header values, URL passwords."""
        for secret in settings.secrets():
            self.add(secret)

    def add_environment(self, env: Mapping[str, str]) -> None:
        """Register the values of credential-named environment variables (`*_API_KEY`, `*_TOKEN`...)."""
        for name, value in env.items():
            if _SECRET_ENV_NAME.search(name) and len(value) >= _MIN_ENV_SECRET_CHARS:
                self.add(value)

    def redact_known(self, text: str) -> str:
        """Only the registered secrets masked: for text we wrote ourselves (e.g. `check` output)."""
        # Longest first: a secret that contains another must go whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def redact(self, text: str) -> str:
        text = self.redact_known(text)
        if "eaders" in text or "EADERS" in text:
            text = _HEADERS_BLOCK.sub(lambda match: match[1] + _HEADER_VALUE.sub(r"\1\2***\2", match[2]), text)
        for shape in _SECRET_SHAPES:
            text = shape.sub(r"\1***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str, log_file: str | None, redactor: SecretRedactor) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # pygls logs whole messages (initializationOptions included) at INFO/DEBUG; the redactor
    # cleans them, and below DEBUG they are just noise.
    if level.upper() != "DEBUG":
        logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
