"""The server's context window, where the server tells it, and whether our prompts fit in it.

For `codestral-ls check` (and anything else that wants to warn before the first keystroke):
- llama.cpp: `GET /props` -> `default_generation_settings.n_ctx` (the window of one slot, what
  `-c` gave divided by `--parallel`);
- Ollama: `POST /api/show` -> the `num_ctx` line of `parameters` when the model sets one;
  otherwise the window is Ollama's default (`OLLAMA_CONTEXT_LENGTH`, or 4k/32k/256k by VRAM) and
  Ollama *silently cuts the front of longer prompts*, so we say that instead of a number;
- OpenAI-compatible (vLLM): `GET /v1/models` -> `max_model_len` of the model;
- Mistral: `GET /v1/models` -> `max_context_length` of the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import httpx

from ..config import Settings, resolve_mistral_credentials
from ..errors import InvalidRequest, ModelUnavailable
from . import llamacpp, ollama, openai
from .exchange import Route, get_json, post_json
from .factory import ENV_KEYS
from .keys import KeyProvider

# Prompts are code: about 3 characters per token is a safe (low) estimate for the warning.
CHARS_PER_TOKEN_ESTIMATE = 3.0
OLLAMA_SMALLEST_DEFAULT = 4096  # Ollama's default window below 24 GiB of VRAM (spec §3.1)
_NUM_CTX_LINE = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)


@attrs.frozen
class ContextWindow:
    """What the server said about its window. `n_ctx` None: it did not give a number."""

    n_ctx: int | None
    source: str  # where the figure comes from, e.g. "llama.cpp /props"
    trained_ctx: int | None = None  # what the model was trained for (Ollama's model_info), if known
    note: str = ""  # what to know when `n_ctx` is None (e.g. Ollama's silent truncation)
    smallest_ctx: int | None = None  # when `n_ctx` is None: the smallest window it may be


async def read_context_window(
    settings: Settings,
    client: httpx.AsyncClient,
    env: Mapping[str, str] | None = None,
    *,
    on_secret: Callable[[str], None] | None = None,
) -> ContextWindow | None:
    """The context window of the server `settings` point at; None when it has no way to say.

    Raises `BackendError` when the server cannot be asked (unreachable, refused key): the caller
    reports reachability anyway. `on_secret` hears each key `apiKeyCommand` prints.
    """
    route = _route(settings, env, on_secret)
    try:
        if settings.backend == "llamacpp":
            return _llamacpp(await get_json(client, route, "/props"))
        if settings.backend == "ollama":
            shown = await post_json(client, route, "/api/show", {"model": ollama.ollama_model(settings.model)})
            return _ollama(shown)
        if settings.backend == "openai":
            path = openai.completions_path(settings.endpoint or openai.DEFAULT_ENDPOINT).replace(
                "completions", "models"
            )
            return _model_card(await get_json(client, route, path), settings.model, "max_model_len", "/v1/models")
        if settings.url_template:
            return None  # a gateway: it has no model list
        return _model_card(
            await get_json(client, route, "/v1/models"), settings.model, "max_context_length", "/v1/models"
        )
    except (ModelUnavailable, InvalidRequest):
        return None  # no such route or model on this server: nothing to read


def prompt_budget_warning(settings: Settings, window: ContextWindow | None) -> str | None:
    """A warning when the prompt budgets plus `maxTokens` may not fit `window`, else None."""
    if window is None:
        return None
    prompt_chars = settings.max_prefix_chars + settings.max_suffix_chars
    prompt_tokens = math.ceil(prompt_chars / CHARS_PER_TOKEN_ESTIMATE)
    needed = prompt_tokens + settings.max_tokens
    if window.n_ctx is None:
        if window.smallest_ctx is not None and needed <= window.smallest_ctx:
            return None  # fits even the smallest window it may have
        return f"a full prompt needs about {needed} tokens; {window.note}" if window.note else None
    if needed <= window.n_ctx:
        return None
    fitting_chars = max(0, int((window.n_ctx - settings.max_tokens) * CHARS_PER_TOKEN_ESTIMATE))
    return (
        f"the server's context window is {window.n_ctx} tokens ({window.source}), but a full prompt "
        f"(maxPrefixChars + maxSuffixChars = {prompt_chars} characters, about {prompt_tokens} tokens) plus "
        f"maxTokens {settings.max_tokens} needs about {needed}: lower maxPrefixChars + maxSuffixChars to "
        f"{fitting_chars} or less, or give the server a larger context"
    )


def _route(settings: Settings, env: Mapping[str, str] | None, on_secret: Callable[[str], None] | None) -> Route:
    if settings.backend == "mistral":
        credentials = resolve_mistral_credentials(settings, env)
        keys = KeyProvider(static=credentials.key, source=credentials.source)
        if settings.api_key_command and not settings.api_key:
            keys = KeyProvider.from_settings(settings, env, on_key=on_secret)
        return Route("Mistral", credentials.endpoint, keys, dict(settings.headers))
    defaults = {"ollama": ollama.DEFAULT_ENDPOINT, "llamacpp": llamacpp.DEFAULT_ENDPOINT}
    names = {"ollama": "Ollama", "llamacpp": "llama.cpp"}
    endpoint = settings.endpoint or defaults.get(settings.backend, openai.DEFAULT_ENDPOINT)
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS.get(settings.backend, ()), on_key=on_secret)
    return Route(names.get(settings.backend, "OpenAI-compatible server"), endpoint, keys, dict(settings.headers))


def _llamacpp(props: Any) -> ContextWindow | None:
    if not isinstance(props, dict):
        return None
    generation = props.get("default_generation_settings")
    for holder in (generation, props):
        if isinstance(holder, dict) and _positive(holder.get("n_ctx")):
            return ContextWindow(int(holder["n_ctx"]), "llama.cpp /props n_ctx")
    return None


def _ollama(shown: Any) -> ContextWindow | None:
    if not isinstance(shown, dict):
        return None
    info = shown.get("model_info")
    trained = None
    if isinstance(info, dict):
        trained = next((v for k, v in info.items() if k.endswith(".context_length") and _positive(v)), None)
    parameters = shown.get("parameters")
    found = _NUM_CTX_LINE.search(parameters) if isinstance(parameters, str) else None
    if found:
        return ContextWindow(int(found.group(1)), "Ollama num_ctx parameter", trained_ctx=trained)
    note = (
        "Ollama's model sets no num_ctx, so Ollama uses its default window (OLLAMA_CONTEXT_LENGTH, else "
        "4096, 32768 or 262144 tokens by VRAM) and silently cuts the front of longer prompts; set "
        "OLLAMA_CONTEXT_LENGTH or a num_ctx parameter to know the window"
    )
    return ContextWindow(None, "Ollama /api/show", trained_ctx=trained, note=note, smallest_ctx=OLLAMA_SMALLEST_DEFAULT)


def _model_card(listing: Any, model: str, field: str, path: str) -> ContextWindow | None:
    cards = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(cards, list):
        return None
    for card in cards:
        if isinstance(card, dict) and (card.get("id") == model or model in (card.get("aliases") or [])):
            value = card.get(field)
            return ContextWindow(value, f"{path} {field}") if isinstance(value, int) and _positive(value) else None
    return None


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
