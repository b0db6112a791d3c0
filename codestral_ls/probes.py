"""One probe per backend for `codestral-ls check`: reach the server, verify the key, confirm
the model exists and can fill in the middle. Each step raises `StepFailed` with a concrete fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs
import httpx

from .backends import llamacpp, ollama, openai
from .backends.base import FimRequest
from .backends.exchange import Route, get_json
from .backends.factory import ENV_KEYS, make_backend
from .backends.http import display_host
from .backends.keys import KeyProvider
from .backends.templates import CODESTRAL, template_for_model
from .budget import window_shortfall
from .config import CODESTRAL_HOST, MISTRAL_HOST, Settings, resolve_mistral_credentials, shown_url
from .errors import AuthError, BackendError, ModelUnavailable, TransportError
from .fixes import fix_for, key_setting

# Where else a Mistral key may belong: keys do not work across these hosts (spec §1.1).
SIBLING_HOSTS: Mapping[str, str] = {
    CODESTRAL_HOST: MISTRAL_HOST,
    MISTRAL_HOST: CODESTRAL_HOST,
    "https://api.eu.mistral.ai": CODESTRAL_HOST,
    "https://api.us.mistral.ai": CODESTRAL_HOST,
}


class StepFailed(Exception):
    """A step's problem and the concrete fix to print under it."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class Skipped(Exception):
    """A step that cannot run here (e.g. the host has no model list); not a failure."""


class Steps(Protocol):
    """Runs one titled step and says whether it passed; prints warnings (`check.Report`)."""

    async def step(self, title: str, action: Callable[[], Awaitable[str]]) -> bool: ...

    def warn(self, title: str, note: str, fix: str = "") -> None: ...


TINY = FimRequest("def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", "", 16, 0.0, ("\n\n",))


async def tiny_completion(settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str]) -> str:
    """One tiny completion through the real backend: the note to print, or StepFailed with a fix."""
    backend = make_backend(settings, client, env)
    request = attrs.evolve(TINY, model=settings.model)
    started = time.perf_counter()
    first_ms: float | None = None
    text = ""
    try:
        async for chunk in backend.stream(request):
            if first_ms is None:
                first_ms = (time.perf_counter() - started) * 1000.0
            text += chunk
    except BackendError as exc:
        raise StepFailed(str(exc), fix_for(exc, settings, env)) from None
    finally:
        await backend.aclose()
    if not text:
        return "the model answered with nothing; it can happen, but try again"
    return f"first text after {first_ms or 0:.0f} ms: {text[:40]!r}"


def warn_if_window_small(
    report: Steps, settings: Settings, window: int | None, larger: str, *, assumed: str = ""
) -> None:
    """Warn when the prompt budget exceeds the server's context window; `larger` says how to grow it.

    `assumed` names where an unreported window comes from (e.g. Ollama's default).
    """
    shortfall = window_shortfall(settings, window) if window else None
    if shortfall is None:
        return
    fits = (
        f"lower `maxPrefixChars` (now {settings.max_prefix_chars}) to {shortfall.fitting_prefix_chars}"
        if shortfall.fitting_prefix_chars
        else "lower `maxSuffixChars` and `maxTokens`"
    )
    needed = -(-shortfall.budget_tokens // 1024) * 1024
    report.warn(
        "context window",
        f"the prompt budget, about {shortfall.budget_tokens} tokens (maxPrefixChars + maxSuffixChars at "
        f"~3 characters per token, plus maxTokens), {'may exceed' if assumed else 'exceeds'} the server's "
        f"{shortfall.window_tokens}-token window{f' ({assumed})' if assumed else ''}: "
        "a long file's prompt would not fit",
        f"{fits}, or {larger.format(tokens=needed)}",
    )


def _key_fix(settings: Settings, env: Mapping[str, str]) -> str:
    return f"check {key_setting(settings, env)}: the server refused that key"


def _route(settings: Settings, name: str, endpoint: str, keys: KeyProvider) -> Route:
    return Route(name, endpoint, keys, dict(settings.headers))


async def _fetch(route: Route, client: httpx.AsyncClient, path: str, unreachable: str = "", key_fix: str = "") -> Any:
    try:
        return await get_json(client, route, path)
    except TransportError as exc:
        raise StepFailed(str(exc), unreachable) from None
    except AuthError as exc:
        raise StepFailed(str(exc), key_fix or "check `apiKey` / `apiKeyCommand`") from None


# ---- Mistral --------------------------------------------------------------------------------


async def _mistral(
    settings: Settings,
    client: httpx.AsyncClient,
    env: Mapping[str, str],
    report: Steps,
    sibling_hosts: Mapping[str, str],
) -> bool:
    credentials = resolve_mistral_credentials(settings, env)
    endpoint = credentials.endpoint.rstrip("/")
    if settings.api_key_command and not settings.api_key:
        keys = KeyProvider.from_settings(settings, env)
    else:
        keys = KeyProvider(static=credentials.key, source=credentials.source)

    async def key_present() -> str:
        try:
            key = await keys.get()
        except AuthError as exc:
            raise StepFailed(str(exc), "run the apiKeyCommand yourself and fix what it says") from None
        if not key and not any(name.lower() == "authorization" for name in settings.headers):
            raise StepFailed(
                "no API key",
                "set CODESTRAL_API_KEY (a Codestral key, for codestral.mistral.ai) or "
                "MISTRAL_API_KEY (a La Plateforme key, for api.mistral.ai), or `apiKey`",
            )
        return f"from {keys.source}, for {display_host(endpoint)}"

    if not await report.step("API key", key_present):
        return False
    route = _route(settings, "Mistral", endpoint, keys)
    if settings.url_template:
        # Gateways (Vertex AI, proxies) have no model list: the tiny completion checks it all.
        return await report.step("model list", _raise(Skipped("urlTemplate is set: a gateway")))

    async def models() -> str:
        try:
            listing = await get_json(client, route, "/v1/models")
        except AuthError as exc:
            sibling, key = sibling_hosts.get(endpoint), await keys.get()
            if sibling and key and await _key_works_on(sibling, key, settings, client):
                raise StepFailed(
                    f"this key is {_key_kind(sibling)}: {display_host(endpoint)} refuses it, "
                    f"{display_host(sibling)} accepts it",
                    f"set `endpoint` to {sibling} (or use a key made for {display_host(endpoint)})",
                ) from None
            raise StepFailed(str(exc), f"check {key_setting(settings, env)}: the server refused that key") from None
        except ModelUnavailable:
            raise Skipped(f"{display_host(endpoint)} does not list models") from None
        except TransportError as exc:
            raise StepFailed(str(exc), "check `endpoint`, your network and any proxy") from None
        return _mistral_model(listing, settings.model)

    return await report.step(f"endpoint, key and model {settings.model}", models)


def _mistral_model(listing: Any, model: str) -> str:
    cards = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(cards, list):
        raise Skipped("the model list has an unknown shape")
    for card in cards:
        if not isinstance(card, dict):
            continue
        if card.get("id") == model or model in (card.get("aliases") or []):
            fim = (card.get("capabilities") or {}).get("completion_fim")
            if fim is False:
                raise StepFailed(
                    f"model {model} cannot fill in the middle (capabilities.completion_fim is false)",
                    "set `model` to codestral-latest (or another Codestral model)",
                )
            context = card.get("max_context_length")
            return f"FIM supported, context {context} tokens" if context else "FIM supported"
    fim_models = sorted(
        str(card.get("id"))
        for card in cards
        if isinstance(card, dict) and (card.get("capabilities") or {}).get("completion_fim")
    )
    raise StepFailed(
        f"model not found: {model}",
        f"set `model` to one of: {', '.join(fim_models) or 'codestral-latest'}",
    )


async def _key_works_on(base: str, key: str, settings: Settings, client: httpx.AsyncClient) -> bool:
    route = _route(settings, "Mistral", base, KeyProvider(static=key))
    try:
        await get_json(client, route, "/v1/models")
    except ModelUnavailable:
        return True  # the key got past authentication; only the route is missing
    except BackendError:
        return False
    return True


def _key_kind(host: str) -> str:
    name = display_host(host)
    if name == display_host(CODESTRAL_HOST):
        return "a Codestral key"
    if name.startswith("api.") and name.endswith("mistral.ai"):
        return "a La Plateforme key"
    return f"a key for {name}"


def _raise(exc: Exception) -> Callable[[], Awaitable[str]]:
    async def action() -> str:
        raise exc

    return action


# ---- Ollama ---------------------------------------------------------------------------------


async def _ollama(settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any) -> bool:
    endpoint = settings.endpoint or ollama.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["ollama"])
    hint = f"Ollama is not running at {shown_url(endpoint)}: start it with `ollama serve` (or fix `endpoint`)"
    route = _route(settings, "Ollama", endpoint, keys)
    model = ollama.ollama_model(settings.model)

    async def reach() -> str:
        version = await _fetch(route, client, "/api/version", hint, _key_fix(settings, env))
        return f"Ollama {version.get('version', '?')}" if isinstance(version, dict) else ""

    async def show() -> str:
        try:
            with_headers = {"Authorization": f"Bearer {k}"} if (k := await keys.get()) else {}
            response = await client.post(
                endpoint.rstrip("/") + "/api/show",
                json={"model": model},
                headers={**with_headers, **settings.headers},
            )
        except httpx.HTTPError as exc:
            raise StepFailed(f"could not ask Ollama about the model ({type(exc).__name__})") from None
        if response.status_code == 404:
            raise StepFailed(f"model not found: {model}", f"run `ollama pull {model}`")
        if response.status_code != 200:
            raise StepFailed(f"Ollama answered {response.status_code}: {response.text[:200]}")
        shown = response.json()
        capabilities = shown.get("capabilities") or []
        info = shown.get("model_info") or {}
        context = next((v for k, v in info.items() if k.endswith(".context_length")), None)
        if "insert" not in capabilities and not settings.prompt_template:
            raise StepFailed(
                f"model {model} cannot fill in the middle (no `insert` capability)",
                f"use a FIM model (`ollama pull codestral`, qwen2.5-coder), or set "
                f'`promptTemplate` (e.g. "codestral") to send raw prompts to {model}',
            )
        window["num_ctx"] = _num_ctx(shown.get("parameters"))
        return f"context {context} tokens" if context else "FIM supported"

    window: dict[str, int | None] = {}
    passed = await report.step(f"reach Ollama at {display_host(endpoint)}", reach) and await report.step(
        f"model {model}", show
    )
    if passed:
        num_ctx = window.get("num_ctx")
        warn_if_window_small(
            report,
            settings,
            num_ctx or OLLAMA_DEFAULT_WINDOW,
            "raise the model's num_ctx to {tokens} (`PARAMETER num_ctx {tokens}` in a Modelfile, or "
            "OLLAMA_CONTEXT_LENGTH={tokens} for `ollama serve`)",
            assumed="" if num_ctx else "Ollama's default on smaller GPUs, unless OLLAMA_CONTEXT_LENGTH raises it",
        )
    return passed


# Ollama's runtime window when neither the model nor the request sets num_ctx (spec §3: 4k on
# GPUs under 24 GiB; more on bigger ones). Ollama cuts longer prompts from the front, silently.
OLLAMA_DEFAULT_WINDOW = 4096


def _num_ctx(parameters: Any) -> int | None:
    """`num_ctx` from /api/show's `parameters` text ("num_ctx 2048\\nstop ..."), when the model sets it."""
    for line in str(parameters or "").splitlines():
        name, _, value = line.strip().partition(" ")
        if name == "num_ctx" and value.strip().isdigit():
            return int(value.strip())
    return None


# ---- llama.cpp ------------------------------------------------------------------------------


async def _llamacpp(
    settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any
) -> bool:
    endpoint = settings.endpoint or llamacpp.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["llamacpp"])
    hint = f"llama-server is not running at {shown_url(endpoint)}: start it (`llama-server -m model.gguf --port 8080`)"
    route = _route(settings, "llama.cpp", endpoint, keys)

    async def health() -> str:
        try:
            await _fetch(route, client, "/health", hint, _key_fix(settings, env))
        except BackendError as exc:
            if exc.status == 503:
                raise StepFailed("llama-server is still loading the model", "wait and run the check again") from None
            raise StepFailed(str(exc)) from None
        return "healthy"

    async def props() -> str:
        try:
            found = await _fetch(route, client, "/props")
        except BackendError:
            raise Skipped("/props is not available") from None
        if not isinstance(found, dict):
            raise Skipped("/props has an unknown shape")
        generation = found.get("default_generation_settings") or {}
        name = os.path.basename(str(found.get("model_path", "?")))
        _check_family(name, settings)
        n_ctx = generation.get("n_ctx")
        window["n_ctx"] = n_ctx if isinstance(n_ctx, int) else None
        return f"{name}, context {n_ctx if n_ctx is not None else '?'} tokens"

    window: dict[str, int | None] = {}
    passed = await report.step(f"reach llama-server at {display_host(endpoint)}", health) and (
        await report.step("loaded model", props)
    )
    if passed:
        warn_if_window_small(
            report, settings, window.get("n_ctx"), "start llama-server with a larger context (-c {tokens})"
        )
    return passed


def _check_family(served: str, settings: Settings) -> None:
    """Fail when the loaded model's family needs another raw prompt than the one we would send."""
    if settings.prompt_template:
        return  # chosen by the user (or "infill"): their call
    loaded = template_for_model(served)
    ours = template_for_model(settings.model)
    if loaded is not CODESTRAL and loaded is not ours:
        raise StepFailed(
            f"the server runs {served}, but prompts would use the {ours.name} FIM template",
            f'set `promptTemplate` to "{loaded.name}" (or "infill" if its GGUF declares FIM tokens)',
        )


# ---- OpenAI-compatible ----------------------------------------------------------------------


async def _openai(settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any) -> bool:
    endpoint = settings.endpoint or openai.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["openai"])
    hint = f"nothing answers at {shown_url(endpoint)}: start the server (vLLM, LM Studio) or fix `endpoint`"
    route = _route(settings, "OpenAI-compatible server", endpoint, keys)
    path = openai.completions_path(endpoint).replace("completions", "models")

    async def models() -> str:
        listing = await _fetch(route, client, path, hint, _key_fix(settings, env))
        cards = [m for m in (listing.get("data") or []) if isinstance(m, dict)] if isinstance(listing, dict) else []
        ids = [str(card.get("id")) for card in cards]
        card = next((card for card in cards if card.get("id") == settings.model), None)
        if card is None:
            # Proxies and LM Studio serve aliases they do not list: only a refused completion says
            # the name is wrong.
            try:
                await tiny_completion(settings, client, env)
            except StepFailed as failure:
                raise StepFailed(
                    f"model not found: {settings.model} (not in the server's list, and {failure.problem})",
                    f"set `model` to one of: {', '.join(ids) or '(the server lists none)'}",
                ) from None
            return f"not in the server's list ({', '.join(ids) or 'empty'}), but it completes with it"
        context = card.get("max_model_len")
        window["max_model_len"] = context if isinstance(context, int) else None
        return f"served, context {context} tokens" if context else "served"

    window: dict[str, int | None] = {}
    passed = await report.step(f"reach {display_host(endpoint)}, key and model {settings.model}", models)
    if passed:
        warn_if_window_small(
            report,
            settings,
            window.get("max_model_len"),
            "serve the model with a larger window (--max-model-len {tokens})",
        )
    return passed


Probe = Callable[[Settings, httpx.AsyncClient, Mapping[str, str], Steps, Mapping[str, str]], Awaitable[bool]]

PROBES: Mapping[str, Probe] = {
    "mistral": _mistral,
    "ollama": _ollama,
    "llamacpp": _llamacpp,
    "openai": _openai,
}
