"""Fake backends on loopback that speak the real wire formats (tests, benchmarks, manual runs)."""

from .httpserver import ThreadedServer
from .mistral import FakeMistral
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
    "FakeMistral",
    "LatencyProfile",
    "MalformedChunk",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ThreadedServer",
]
