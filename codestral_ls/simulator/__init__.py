"""Fake backends on loopback that speak the real wire formats (tests, benchmarks, manual runs)."""

from .httpserver import ThreadedServer
from .llamacpp import FakeLlamaCpp
from .mistral import FakeMistral
from .ollama import FakeOllama
from .openai import FakeOpenAI
from .replies import (
    Completion,
    DropConnection,
    ErrorReply,
    LatencyProfile,
    MalformedChunk,
    RecordedRequest,
    Reply,
    Responder,
)

__all__ = [
    "Completion",
    "DropConnection",
    "ErrorReply",
    "FakeLlamaCpp",
    "FakeMistral",
    "FakeOllama",
    "FakeOpenAI",
    "LatencyProfile",
    "MalformedChunk",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ThreadedServer",
]
