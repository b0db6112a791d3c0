"""The VS Code extension's package.json declares exactly the server's settings, with its defaults.

package.json `contributes.configuration` is the single source of defaults an editor user sees;
`codestral_ls.config.Settings` is what the server applies. This keeps the two from drifting.
"""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path
from typing import Any

import attrs
import pytest

from codestral_ls import config

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
PROPERTIES: dict[str, dict[str, Any]] = json.loads((EXTENSION / "package.json").read_text())["contributes"][
    "configuration"
]["properties"]


def _ts_string_list(name: str) -> set[str]:
    """A `const NAME: readonly string[] = ['a', 'b'];` from the extension's settings.ts."""
    source = (EXTENSION / "src" / "settings.ts").read_text()
    match = re.search(rf"{name}\s*:\s*readonly string\[\]\s*=\s*\[([^\]]*)\]", source)
    assert match, f"{name} not found in settings.ts"
    return set(re.findall(r"'([^']*)'", match.group(1)))


EXTENSION_ONLY = _ts_string_list("EXTENSION_ONLY_KEYS")  # serverPath, trace.server
SECRET = _ts_string_list("SECRET_KEYS")  # apiKey: SecretStorage, never settings.json

FIELDS = {config.camel(f.name): f for f in attrs.fields(config.Settings)}
SERVER_PROPERTIES = {
    name.removeprefix("codestral."): schema
    for name, schema in PROPERTIES.items()
    if name.removeprefix("codestral.") not in EXTENSION_ONLY
}


def _default(field: attrs.Attribute[Any]) -> Any:
    value = getattr(config.Settings(), field.name)
    return list(value) if isinstance(value, tuple) else value


def _schema_for(type_: Any) -> dict[str, Any]:
    """The JSON-schema `type` (and `enum`) package.json must declare for a Settings field type."""
    origin = typing.get_origin(type_)
    args = typing.get_args(type_)
    if type_ is bool:
        return {"type": "boolean"}
    if type_ is int:
        return {"type": "integer"}
    if type_ is float:
        return {"type": "number"}
    if type_ is str:
        return {"type": "string"}
    if origin is typing.Literal:
        return {"type": "string", "enum": list(args)}
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        schema = _schema_for(inner)
        return {**schema, "type": [schema["type"], "null"]}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_for(args[1])}
    if origin is tuple:
        return {"type": "array", "items": _schema_for(args[0])}
    raise AssertionError(f"no JSON schema mapping for {type_!r}: extend this test")


def _json_type_ok(value: Any, declared: str | list[str]) -> bool:
    checks = {
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "null": lambda v: v is None,
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    names = [declared] if isinstance(declared, str) else declared
    return any(checks[name](value) for name in names)


def test_every_server_setting_is_declared() -> None:
    missing = set(FIELDS) - SECRET - set(SERVER_PROPERTIES)
    assert not missing, f"Settings missing from editors/vscode/package.json: {sorted(missing)}"


def test_every_declared_setting_exists_on_the_server() -> None:
    unknown = set(SERVER_PROPERTIES) - set(FIELDS)
    assert not unknown, (
        f"package.json declares settings the server does not know: {sorted(unknown)} "
        "(add them to Settings, or to EXTENSION_ONLY_KEYS in src/settings.ts "
        "if only the extension reads them)"
    )


def test_secrets_are_not_settings() -> None:
    assert SECRET == {"apiKey"}
    assert "codestral.apiKey" not in PROPERTIES
    assert SECRET <= set(FIELDS), "the key the extension sends must be a server setting"


def test_extension_only_settings_are_declared_and_not_server_settings() -> None:
    assert {"serverPath", "trace.server"} <= EXTENSION_ONLY
    for key in EXTENSION_ONLY:
        assert f"codestral.{key}" in PROPERTIES
        assert key not in FIELDS


@pytest.mark.parametrize("key", sorted(set(FIELDS) - SECRET))
def test_default_and_type_match(key: str) -> None:
    field = FIELDS[key]
    schema = SERVER_PROPERTIES[key]
    assert schema["default"] == _default(field), f"{key}: default differs from Settings()"
    assert _json_type_ok(schema["default"], schema["type"]), f"{key}: default's JSON type"
    expected = _schema_for(field.type)
    actual = {k: schema[k] for k in expected if k in schema}
    assert actual == expected, f"{key}: package.json type {actual} != {expected}"
    assert schema.get("scope"), f"{key}: no scope"
    assert schema.get("markdownDescription") or schema.get("description"), f"{key}: no description"


def test_what_a_fresh_install_sends_parses_cleanly() -> None:
    # The extension sends every server key, null included, plus apiKey when one is stored.
    sent = {key: schema["default"] for key, schema in SERVER_PROPERTIES.items()}
    sent["apiKey"] = "sk-test"
    settings, errors = config.parse_settings(sent)
    assert errors == []
    assert attrs.evolve(settings, api_key=None) == config.Settings()
