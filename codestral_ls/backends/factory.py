"""Build the backend the `backend` setting names, with its key, headers and prompt template.

Defaults per backend: `mistral` codestral.mistral.ai (api.mistral.ai for MISTRAL_API_KEY),
`ollama` http://127.0.0.1:11434, `llamacpp` http://127.0.0.1:8080, `openai`
http://127.0.0.1:8000. A bad `promptTemplate` does not stop the server: the backend it gives
reports the setting error on use, once, like any other backend error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping

import httpx

from ..config import Settings, connection_problem, resolve_mistral_credentials
from ..errors import InvalidRequest, SettingsError
from . import llamacpp, ollama, openai
from .base import Backend, FimRequest
from .keys import KeyProvider
from .mistral import MistralBackend
from .templates import INFILL, PromptTemplate, resolve_template

# Keys read from the environment for each backend when no apiKey/apiKeyCommand is set. Only
# variables meant for that kind of server: a cloud key must not leak to a local or proxy one.
ENV_KEYS: Mapping[str, tuple[str, ...]] = {
    "ollama": ("OLLAMA_API_KEY",),
    "llamacpp": ("LLAMA_API_KEY",),
    "openai": (),
}


def make_backend(
    settings: Settings,
    client: httpx.AsyncClient,
    env: Mapping[str, str] | None = None,
    *,
    on_secret: Callable[[str], None] | None = None,
) -> Backend:
    """The backend for `settings.backend`, sharing `client` (which the caller closes).

    `on_secret` hears each key `apiKeyCommand` prints (e.g. `SecretRedactor.add`)."""
    try:
        return _make(settings, client, env, on_secret)
    except SettingsError as exc:
        return SettingsProblem(settings.backend, exc)


def _make(
    settings: Settings,
    client: httpx.AsyncClient,
    env: Mapping[str, str] | None,
    on_secret: Callable[[str], None] | None,
) -> Backend:
    unusable = connection_problem(settings)
    if unusable is not None:
        # A default backend or host instead would send the code where the user did not choose.
        raise unusable
    if settings.backend == "mistral":
        credentials = resolve_mistral_credentials(settings, env)
        key_source = None
        if settings.api_key_command and not settings.api_key:
            key_source = KeyProvider.from_settings(settings, env, on_key=on_secret)
        return MistralBackend(settings, credentials, client, key_source=key_source)
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS.get(settings.backend, ()), on_key=on_secret)
    headers = dict(settings.headers)
    if settings.backend == "ollama":
        return ollama.OllamaBackend(
            client,
            endpoint=settings.endpoint or ollama.DEFAULT_ENDPOINT,
            keys=keys,
            headers=headers,
            url_template=settings.url_template,
            keep_alive=settings.keep_alive,
            template=_template(settings),
        )
    if settings.backend == "llamacpp":
        infill = (settings.prompt_template or "").strip().lower() == INFILL
        return llamacpp.LlamaCppBackend(
            client,
            endpoint=settings.endpoint or llamacpp.DEFAULT_ENDPOINT,
            keys=keys,
            headers=headers,
            url_template=settings.url_template,
            template=None if infill else _template(settings),
            infill=infill,
        )
    return openai.OpenAICompatBackend(
        client,
        endpoint=settings.endpoint or openai.DEFAULT_ENDPOINT,
        keys=keys,
        headers=headers,
        url_template=settings.url_template,
        template=_template(settings),
    )


def _template(settings: Settings) -> PromptTemplate | None:
    """The configured template, or None to let the backend choose (by model family)."""
    if settings.prompt_template is None or not settings.prompt_template.strip():
        return None
    return resolve_template(settings.prompt_template, settings.model)


class SettingsProblem:
    """Stands in for a backend whose settings are unusable; each request reports why."""

    def __init__(self, name: str, error: SettingsError) -> None:
        self.name = name
        self.error = error

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        raise InvalidRequest(str(self.error))
        yield ""  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        """Nothing to release."""
