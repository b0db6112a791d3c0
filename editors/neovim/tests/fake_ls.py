"""A scripted stand-in for codestral-ls, to test ghost-text drawing on exact items.

Answers `textDocument/inlineCompletion` from rules in env FAKE_LS_RULES (JSON list of
{"prefix": str, "items": [{"insertText": str, "replace": units after cursor, "back": units
before cursor}]}; the first rule whose prefix ends the text before the cursor wins) and logs
every message it receives as a JSON line to env FAKE_LS_LOG.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def read_message(stream: Any) -> dict[str, Any] | None:
    length = 0
    while True:
        header = stream.readline()
        if not header:
            return None
        if header in (b"\r\n", b"\n"):
            break
        name, _, value = header.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    message: dict[str, Any] = json.loads(stream.read(length))
    return message


def write_message(message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    sys.stdout.buffer.flush()


def main() -> None:
    rules = json.loads(os.environ.get("FAKE_LS_RULES", "[]"))
    log = open(os.environ.get("FAKE_LS_LOG", os.devnull), "a", buffering=1)
    documents: dict[str, str] = {}
    encoding = "utf-16"
    while (message := read_message(sys.stdin.buffer)) is not None:
        log.write(json.dumps(message) + "\n")
        method, params = message.get("method"), message.get("params") or {}
        result: Any = None
        if method == "initialize":
            offered = params.get("capabilities", {}).get("general", {}).get("positionEncodings", [])
            encoding = next((e for e in offered if e in ("utf-8", "utf-16")), "utf-16")
            result = {
                "capabilities": {
                    "positionEncoding": encoding,
                    "textDocumentSync": {"openClose": True, "change": 1},
                    "inlineCompletionProvider": {},
                    "completionProvider": {},
                    "executeCommandProvider": {"commands": ["codestral.accept"]},
                },
                "serverInfo": {"name": "fake-codestral-ls"},
            }
        elif method == "initialized":
            write_message(
                {
                    "jsonrpc": "2.0",
                    "method": "codestral/status",
                    "params": {"state": "ready", "message": "fake server ready"},
                }
            )
        elif method == "textDocument/didOpen":
            documents[params["textDocument"]["uri"]] = params["textDocument"]["text"]
        elif method == "textDocument/didChange":
            documents[params["textDocument"]["uri"]] = params["contentChanges"][-1]["text"]
        elif method == "textDocument/inlineCompletion":
            result = {"items": complete(documents, params, rules, encoding)}
        elif method == "exit":
            return
        if "id" in message and method is not None:
            write_message({"jsonrpc": "2.0", "id": message["id"], "result": result})


def complete(documents: dict[str, str], params: dict[str, Any], rules: list[Any], encoding: str) -> list[Any]:
    text = documents.get(params["textDocument"]["uri"], "")
    line_no, character = params["position"]["line"], params["position"]["character"]
    line = ([*text.split("\n"), ""])[line_no]
    raw = line.encode("utf-8" if encoding == "utf-8" else "utf-16-le")
    unit = 1 if encoding == "utf-8" else 2
    before = raw[: character * unit].decode(encoding.replace("utf-16", "utf-16-le"))
    for rule in rules:
        if before.endswith(rule["prefix"]):
            time.sleep(rule.get("delay", 0))
            items = []
            for number, spec in enumerate(rule["items"]):
                start = {"line": line_no, "character": character - spec.get("back", 0)}
                end = {"line": line_no, "character": character + spec.get("replace", 0)}
                items.append(
                    {
                        "insertText": spec["insertText"],
                        "range": {"start": start, "end": end},
                        "command": {
                            "title": "Accept",
                            "command": "codestral.accept",
                            "arguments": [{"id": f"fake-{number}"}],
                        },
                    }
                )
            return items
    return []


if __name__ == "__main__":
    main()
