"""The OpenAI-compatible probe (vLLM, LM Studio, proxies): model list and aliases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..backends import openai
from ..backends.factory import ENV_KEYS
from ..backends.http import display_host
from ..backends.keys import KeyProvider
from ..backends.urls import display_endpoint
from ..config import Settings
from .steps import StepFailed, Steps, fetch_json, key_fix, route_for, tiny_completion


async def openai_probe(
    settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Steps, _: Any
) -> bool:
    endpoint = settings.endpoint or openai.DEFAULT_ENDPOINT
    keys = KeyProvider.from_settings(settings, env, ENV_KEYS["openai"], on_key=report.hide)
    hint = f"nothing answers at {display_endpoint(endpoint)}: start the server (vLLM, LM Studio) or fix `endpoint`"
    route = route_for(settings, "OpenAI-compatible server", endpoint, keys)
    path = openai.completions_path(endpoint).replace("completions", "models")

    async def models() -> str:
        listing = await fetch_json(route, client, path, hint, key_fix(settings, env))
        cards = [m for m in (listing.get("data") or []) if isinstance(m, dict)] if isinstance(listing, dict) else []
        ids = [str(card.get("id")) for card in cards]
        card = next((card for card in cards if card.get("id") == settings.model), None)
        if card is None:
            # Proxies and LM Studio serve aliases they do not list: only a refused completion says
            # the name is wrong.
            try:
                await tiny_completion(settings, client, env, report.hide)
            except StepFailed as failure:
                raise StepFailed(
                    f"model not found: {settings.model} (not in the server's list, and {failure.problem})",
                    f"set `model` to one of: {', '.join(ids) or '(the server lists none)'}",
                ) from None
            return f"not in the server's list ({', '.join(ids) or 'empty'}), but it completes with it"
        context = card.get("max_model_len")
        return f"served, context {context} tokens" if context else "served"

    return await report.step(f"reach {display_host(endpoint)}, key and model {settings.model}", models)
