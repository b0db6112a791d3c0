"""What to tell the user to change when `check` finds a problem: a fix naming the setting at fault.

A failed request is rarely the endpoint's fault when `urlTemplate` builds the URL, nor the key's
fault in general when the key came from `apiKeyCommand` or a `headers` entry: the hint names the
setting (or environment variable) the failing value actually came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .backends.factory import ENV_KEYS
from .config import Settings
from .errors import AuthError, BackendError, ContextWindowExceeded, InvalidRequest, ModelUnavailable, TransportError

BACKENDS = ("mistral", "ollama", "llamacpp", "openai")

# What to do about a setting `check` cannot use, by key; others get a generic hint.
SETTING_FIXES: Mapping[str, str] = {
    "backend": f"set `backend` to one of: {', '.join(BACKENDS)}",
    "endpoint": "set `endpoint` to the server's base URL, e.g. http://127.0.0.1:11434 or https://codestral.mistral.ai",
    "urlTemplate": "set `urlTemplate` to a full http(s) URL with {endpoint}, {model} or {method} placeholders",
    "promptTemplate": 'set `promptTemplate` to a template name (e.g. "qwen") or text with {prefix} and {suffix}',
}


def key_setting(settings: Settings, env: Mapping[str, str]) -> str:
    """Where the key sent to the server comes from, named as the user would fix it."""
    if any(name.lower() == "authorization" for name in settings.headers):
        return "the Authorization entry of `headers`"  # it wins over any key (see backends)
    if settings.api_key:
        return "`apiKey`"
    if settings.api_key_command:
        return "`apiKeyCommand`"
    names = (
        ("CODESTRAL_API_KEY", "MISTRAL_API_KEY")
        if settings.backend == "mistral"
        else ENV_KEYS.get(settings.backend, ())
    )
    for name in names:
        if env.get(name):
            return f"the environment variable {name}"
    return "`apiKey` (no key is set)"


def fix_for(exc: BackendError, settings: Settings, env: Mapping[str, str]) -> str:
    """The fix for a failed completion, naming the setting actually at fault."""
    # A setting the backend could not use speaks as a SettingsError: "codestral.<key>: ...".
    named = re.match(r"codestral\.(\w+): ", str(exc))
    if named is not None:
        return SETTING_FIXES.get(named.group(1), f"correct `{named.group(1)}`")
    if isinstance(exc, ContextWindowExceeded):
        return (
            f"lower `maxPrefixChars` (now {settings.max_prefix_chars}) and `maxSuffixChars` "
            f"(now {settings.max_suffix_chars}), or give the server a larger context window"
        )
    if isinstance(exc, TransportError) and settings.backend in ("ollama", "llamacpp") and not settings.url_template:
        return (
            f"a local server may still be loading the model on first use: run the check again; "
            f"if it stays slow, raise `timeoutMs` (now {settings.timeout_ms} ms) or use a smaller model"
        )
    if isinstance(exc, TransportError):
        where = "`urlTemplate`" if settings.url_template else "`endpoint`"
        return f"check that the server runs and that {where} is right (timeout {settings.timeout_ms} ms)"
    if isinstance(exc, AuthError):
        return f"check {key_setting(settings, env)}: the server refused that key"
    if isinstance(exc, ModelUnavailable):
        if settings.url_template:
            return "check `urlTemplate` (the URL it makes may not exist on the server) and `model`"
        return "check the `model` setting"
    if isinstance(exc, InvalidRequest) and settings.prompt_template:
        return "check `promptTemplate`: the server refused the prompt it makes"
    return ""
