"""The probes of local servers: Ollama and llama.cpp (reach, model, FIM ability, context window)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from ..backends import llamacpp, ollama
from ..backends.factory import ENV_KEYS
from ..backends.http import display_host
from ..backends.keys import KeyProvider
from ..backends.templates import CODESTRAL, template_for_model
from ..backends.urls import display_endpoint
from ..config import Settings
from ..errors import BackendError
from .steps import Skipped, StepFailed, Steps, fetch_json, key_fix, route_for, warn_if_window_small


async def ollama_probe(
    settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any
) -> bool:
    endpoint = settings.endpoint or ollama.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["ollama"])
    hint = f"Ollama is not running at {display_endpoint(endpoint)}: start it with `ollama serve` (or fix `endpoint`)"
    route = route_for(settings, "Ollama", endpoint, keys)
    model = ollama.ollama_model(settings.model)

    async def reach() -> str:
        version = await fetch_json(route, client, "/api/version", hint, key_fix(settings, env))
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


async def llamacpp_probe(
    settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any
) -> bool:
    endpoint = settings.endpoint or llamacpp.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["llamacpp"])
    hint = (
        f"llama-server is not running at {display_endpoint(endpoint)}: "
        "start it (`llama-server -m model.gguf --port 8080`)"
    )
    route = route_for(settings, "llama.cpp", endpoint, keys)

    async def health() -> str:
        try:
            await fetch_json(route, client, "/health", hint, key_fix(settings, env))
        except BackendError as exc:
            if exc.status == 503:
                raise StepFailed("llama-server is still loading the model", "wait and run the check again") from None
            raise StepFailed(str(exc)) from None
        return "healthy"

    async def props() -> str:
        try:
            found = await fetch_json(route, client, "/props")
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
