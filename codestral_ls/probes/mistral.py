"""The Mistral probe: the key, then the model list (FIM capability, context), or why the key fails here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..backends.exchange import get_json
from ..backends.http import display_host
from ..backends.keys import KeyProvider
from ..config import CODESTRAL_HOST, MISTRAL_HOST, Settings, resolve_mistral_credentials
from ..errors import AuthError, BackendError, ModelUnavailable, TransportError
from ..fixes import key_setting
from .steps import Skipped, StepFailed, Steps, raising, route_for

# Where else a Mistral key may belong: keys do not work across these hosts (spec §1.1).
SIBLING_HOSTS: Mapping[str, str] = {
    CODESTRAL_HOST: MISTRAL_HOST,
    MISTRAL_HOST: CODESTRAL_HOST,
    "https://api.eu.mistral.ai": CODESTRAL_HOST,
    "https://api.us.mistral.ai": CODESTRAL_HOST,
}


async def mistral_probe(
    settings: Settings,
    client: httpx.AsyncClient,
    env: Mapping[str, str],
    report: Steps,
    sibling_hosts: Mapping[str, str],
) -> bool:
    credentials = resolve_mistral_credentials(settings, env)
    endpoint = credentials.endpoint.rstrip("/")
    if settings.api_key_command and not settings.api_key:
        keys = KeyProvider.from_settings(settings, env, on_key=report.hide)
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
    route = route_for(settings, "Mistral", endpoint, keys)
    if settings.url_template:
        # Gateways (Vertex AI, proxies) have no model list: the tiny completion checks it all.
        return await report.step("model list", raising(Skipped("urlTemplate is set: a gateway")))

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
    route = route_for(settings, "Mistral", base, KeyProvider(static=key))
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
