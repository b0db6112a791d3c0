"""The probes of local servers: Ollama and llama.cpp (reach, model, FIM ability)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from ..backends import llamacpp, ollama
from ..backends.exchange import post_json
from ..backends.factory import ENV_KEYS
from ..backends.http import display_host
from ..backends.keys import KeyProvider
from ..backends.templates import CODESTRAL, template_for_model
from ..backends.urls import display_endpoint
from ..config import Settings
from ..errors import BackendError, ModelUnavailable
from .steps import Skipped, StepFailed, Steps, fetch_json, key_fix, route_for


async def ollama_probe(
    settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any
) -> bool:
    endpoint = settings.endpoint or ollama.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["ollama"], on_key=report.hide)
    hint = f"Ollama is not running at {display_endpoint(endpoint)}: start it with `ollama serve` (or fix `endpoint`)"
    route = route_for(settings, "Ollama", endpoint, keys)
    model = ollama.ollama_model(settings.model)

    async def reach() -> str:
        version = await fetch_json(route, client, "/api/version", hint, key_fix(settings, env))
        return f"Ollama {version.get('version', '?')}" if isinstance(version, dict) else ""

    async def show() -> str:
        try:
            shown = await post_json(client, route, "/api/show", {"model": model})
        except ModelUnavailable:
            raise StepFailed(f"model not found: {model}", f"run `ollama pull {model}`") from None
        except BackendError as exc:
            raise StepFailed(str(exc)) from None
        if not isinstance(shown, dict):
            raise StepFailed("Ollama answered /api/show with an unknown shape")
        capabilities = shown.get("capabilities") or []
        info = shown.get("model_info") or {}
        context = next((v for k, v in info.items() if k.endswith(".context_length")), None)
        if "insert" not in capabilities and not settings.prompt_template:
            raise StepFailed(
                f"model {model} cannot fill in the middle (no `insert` capability)",
                f"use a FIM model (`ollama pull codestral`, qwen2.5-coder), or set "
                f'`promptTemplate` (e.g. "codestral") to send raw prompts to {model}',
            )
        return f"context {context} tokens" if context else "FIM supported"

    return await report.step(f"reach Ollama at {display_host(endpoint)}", reach) and await report.step(
        f"model {model}", show
    )


async def llamacpp_probe(
    settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any
) -> bool:
    endpoint = settings.endpoint or llamacpp.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["llamacpp"], on_key=report.hide)
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
        return f"{name}, context {generation.get('n_ctx', '?')} tokens"

    return await report.step(f"reach llama-server at {display_host(endpoint)}", health) and (
        await report.step("loaded model", props)
    )


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
