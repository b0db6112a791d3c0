"""codestral-ls: a language server for Codestral fill-in-the-middle completions."""

__version__ = "0.1.0"
