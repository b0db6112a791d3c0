"""One probe per backend for `codestral-ls check`: reach the server, verify the key, confirm
the model exists and can fill in the middle.
Each step raises `StepFailed` with a concrete fix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import httpx

from ..config import Settings
from .local import llamacpp_probe, ollama_probe
from .mistral import SIBLING_HOSTS, mistral_probe
from .openai import openai_probe
from .steps import Skipped, StepFailed, Steps, tiny_completion

__all__ = [
    "PROBES",
    "SIBLING_HOSTS",
    "Probe",
    "Skipped",
    "StepFailed",
    "Steps",
    "tiny_completion",
]

Probe = Callable[[Settings, httpx.AsyncClient, Mapping[str, str], Steps, Mapping[str, str]], Awaitable[bool]]

PROBES: Mapping[str, Probe] = {
    "mistral": mistral_probe,
    "ollama": ollama_probe,
    "llamacpp": llamacpp_probe,
    "openai": openai_probe,
}
