"""Backends: one module per wire format behind the `Backend` interface in `base`."""

from .base import Backend, FimRequest, StreamStats

__all__ = ["Backend", "FimRequest", "StreamStats"]
