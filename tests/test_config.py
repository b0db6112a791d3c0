"""config: camelCase settings parsed one key at a time; credentials and their sources."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from codestral_ls.config import (
    CODESTRAL_HOST,
    DEFAULT_EXCLUDE,
    FIELDS_BY_KEY,
    MISTRAL_HOST,
    Credentials,
    Settings,
    camel,
    parse_settings,
    resolve_mistral_credentials,
)
from codestral_ls.errors import SettingsError

DEFAULTS = Settings()


@pytest.mark.parametrize(
    ("raw", "changed"),
    [
        pytest.param(None, {}, id="none"),
        pytest.param({}, {}, id="empty"),
        pytest.param({"enable": False}, {"enable": False}, id="bool"),
        pytest.param({"backend": "ollama"}, {"backend": "ollama"}, id="literal"),
        pytest.param({"endpoint": "http://localhost:11434"}, {"endpoint": "http://localhost:11434"}, id="url"),
        pytest.param({"endpoint": None}, {}, id="optional-null"),
        pytest.param({"apiKey": "sk-1"}, {"api_key": "sk-1"}, id="api-key"),
        pytest.param({"apiKeyTtlS": 10}, {"api_key_ttl_s": 10.0}, id="int-for-float"),
        pytest.param({"headers": {"X-Org": "acme"}}, {"headers": {"X-Org": "acme"}}, id="headers"),
        pytest.param({"debounceMs": 0}, {"debounce_ms": 0}, id="zero-allowed"),
        pytest.param({"debounceMs": 50.0}, {"debounce_ms": 50}, id="whole-float-for-int"),
        pytest.param({"temperature": 1}, {"temperature": 1.0}, id="int-temperature"),
        pytest.param({"temperature": 2.0}, {"temperature": 2.0}, id="temperature-upper-bound"),
        pytest.param({"maxSuffixChars": 0}, {"max_suffix_chars": 0}, id="suffix-budget-zero"),
        pytest.param({"exclude": "*.txt"}, {"exclude": ("*.txt",)}, id="exclude-as-a-string"),
        pytest.param({"exclude": ["a/**", "*.b"]}, {"exclude": ("a/**", "*.b")}, id="exclude-list"),
        pytest.param(
            {"languages": {"markdown": False, "*": True}}, {"languages": {"markdown": False, "*": True}}, id="languages"
        ),
        pytest.param({"multiline": "never", "cacheSize": 0}, {"multiline": "never", "cache_size": 0}, id="two-keys"),
        pytest.param(
            {"keepAlive": "5m", "model": "codestral-2501"},
            {"keep_alive": "5m", "model": "codestral-2501"},
            id="strings",
        ),
    ],
)
def test_parse_good_settings(raw: dict[str, Any] | None, changed: dict[str, Any]) -> None:
    settings, errors = parse_settings(raw)
    assert errors == []
    assert settings == attrs.evolve(DEFAULTS, **changed)
    for name, value in changed.items():
        assert type(getattr(settings, name)) is type(value)


# Each bad value sits next to a good key: the good one applies, the bad one keeps its default.
BAD = [
    ("debounceMs", "50", "expected a whole number"),
    ("debounceMs", 50.5, "expected a whole number"),
    ("debounceMs", True, "expected a whole number"),
    ("debounceMs", -1, "must be >= 0"),
    ("debounceMs", None, "expected a whole number"),
    ("maxTokens", 0, "must be > 0"),
    ("maxPrefixChars", float("inf"), "expected a whole number"),
    ("timeoutMs", float("nan"), "expected a whole number"),
    ("temperature", True, "expected a number"),
    ("temperature", "0.2", "expected a number"),
    ("temperature", 2.5, "must be between 0 and 2"),
    ("temperature", float("nan"), "must be between 0 and 2"),
    ("cacheTtlS", 0, "must be > 0"),
    ("enable", 1, "expected true or false"),
    ("enable", "false", "expected true or false"),
    ("prefetch", None, "expected true or false"),
    ("multiline", "sometimes", "not in literal"),
    ("model", 3, "expected a string"),
    ("model", None, "expected a string, got null"),
    ("keepAlive", 30, "expected a string"),
    ("urlTemplate", ["x"], "expected a string"),
    ("exclude", 5, "expected a list"),
    ("exclude", None, "expected a list"),
    ("exclude", [1], "expected a string"),
    ("exclude", {"*.txt": True}, "expected a list"),
    ("languages", "markdown", "expected an object"),
    ("languages", ["markdown"], "expected an object"),
    ("languages", {"markdown": "false"}, "expected true or false"),
    ("languages", {"markdown": None}, "expected true or false"),
    ("headers", "X-Org: acme", "invalid value of type str (not shown)"),
    ("headers", {"X-Org": 1}, "invalid value of type dict (not shown)"),
    ("apiKey", 12345, "invalid value of type int (not shown)"),
]


@pytest.mark.parametrize(("key", "value", "why"), [pytest.param(k, v, w, id=f"{k}={v!r}") for k, v, w in BAD])
def test_bad_value_names_the_key_and_the_rest_still_apply(key: str, value: Any, why: str) -> None:
    other = "maxTokens" if key != "maxTokens" else "debounceMs"
    settings, errors = parse_settings({key: value, other: 77})
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, SettingsError)
    assert error.key == key
    assert str(error).startswith(f"codestral.{key}: ")
    assert why in str(error)
    name = FIELDS_BY_KEY[key].name
    assert getattr(settings, name) == getattr(DEFAULTS, name)
    assert getattr(settings, FIELDS_BY_KEY[other].name) == 77


def test_bad_value_keeps_the_previous_setting_not_the_default() -> None:
    base, _ = parse_settings({"debounceMs": 10, "model": "m1"})
    settings, errors = parse_settings({"debounceMs": "x", "model": "m2"}, base)
    assert [e.key for e in errors] == ["debounceMs"]
    assert (settings.debounce_ms, settings.model) == (10, "m2")


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        pytest.param({"bogus": 1}, ["bogus"], id="unknown"),
        pytest.param({"api_key": "sk-1"}, ["api_key"], id="snake-case-is-unknown"),
        pytest.param({"DebounceMs": 1}, ["DebounceMs"], id="wrong-case-is-unknown"),
        pytest.param({"a": 1, "enable": False, "b": 2}, ["a", "b"], id="several-unknown"),
    ],
)
def test_unknown_keys_are_reported_and_ignored(raw: dict[str, Any], keys: list[str]) -> None:
    settings, errors = parse_settings(raw)
    assert [e.key for e in errors] == keys
    assert all("unknown setting" in str(e) for e in errors)
    assert settings == attrs.evolve(DEFAULTS, enable=raw.get("enable", True))


@pytest.mark.parametrize("raw", [[1, 2], "debounceMs=1", 5], ids=["list", "string", "number"])
def test_settings_that_are_not_an_object(raw: Any) -> None:
    settings, errors = parse_settings(raw)
    assert settings == DEFAULTS
    assert [e.key for e in errors] == ["*"]


def test_secrets_are_never_echoed_in_errors() -> None:
    secret = "sk-secret-value-123"
    _, errors = parse_settings({"apiKey": [secret], "headers": {"Authorization": f"Bearer {secret}", "X": 1}})
    assert [e.key for e in errors] == ["apiKey", "headers"]
    assert all(secret not in str(e) for e in errors)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("debounce_ms", "debounceMs"),
        ("api_key_ttl_s", "apiKeyTtlS"),
        ("enable", "enable"),
        ("url_template", "urlTemplate"),
    ],
)
def test_camel(name: str, key: str) -> None:
    assert camel(name) == key
    assert FIELDS_BY_KEY[key].name == name


def test_every_field_has_a_doc_and_a_key() -> None:
    assert len(FIELDS_BY_KEY) == len(attrs.fields(Settings))
    assert all(field.metadata.get("doc") for field in attrs.fields(Settings))


def test_exclude_comes_on_top_of_the_defaults() -> None:
    settings, _ = parse_settings({"exclude": ["*.txt"]})
    assert settings.all_exclude_globs == (*DEFAULT_EXCLUDE, "*.txt")


# ---- language_enabled ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enable", "languages", "language_id", "expected"),
    [
        pytest.param(True, {}, "python", True, id="default-on"),
        pytest.param(False, {}, "python", False, id="master-switch-off"),
        pytest.param(False, {"python": True}, "python", False, id="master-switch-beats-language"),
        pytest.param(True, {"markdown": False}, "markdown", False, id="language-off"),
        pytest.param(True, {"markdown": False}, "python", True, id="other-language-on"),
        pytest.param(True, {"*": False}, "python", False, id="wildcard-off"),
        pytest.param(True, {"*": False, "python": True}, "python", True, id="language-beats-wildcard"),
        pytest.param(True, {"*": False, "python": True}, "go", False, id="wildcard-for-the-rest"),
        pytest.param(True, {"*": False}, "", False, id="unknown-language-uses-wildcard"),
        pytest.param(True, {"Python": False}, "python", True, id="ids-are-case-sensitive"),
    ],
)
def test_language_enabled(enable: bool, languages: dict[str, bool], language_id: str, expected: bool) -> None:
    assert Settings(enable=enable, languages=languages).language_enabled(language_id) is expected


# ---- credentials ----------------------------------------------------------------------------------

ENDPOINT = "https://proxy.example.com"


@pytest.mark.parametrize(
    ("settings", "env", "expected"),
    [
        pytest.param(
            Settings(api_key="sk-set"),
            {"CODESTRAL_API_KEY": "sk-c", "MISTRAL_API_KEY": "sk-m"},
            Credentials("sk-set", "the apiKey setting", CODESTRAL_HOST),
            id="setting-beats-env",
        ),
        pytest.param(
            Settings(api_key="sk-set", endpoint=ENDPOINT),
            {},
            Credentials("sk-set", "the apiKey setting", ENDPOINT),
            id="setting-with-endpoint",
        ),
        pytest.param(
            Settings(api_key_command="pass show codestral"),
            {"CODESTRAL_API_KEY": "sk-c"},
            Credentials(None, "the apiKeyCommand setting", CODESTRAL_HOST),
            id="command-beats-env",
        ),
        pytest.param(
            Settings(),
            {"CODESTRAL_API_KEY": "sk-c", "MISTRAL_API_KEY": "sk-m"},
            Credentials("sk-c", "env CODESTRAL_API_KEY", CODESTRAL_HOST),
            id="codestral-env-beats-mistral",
        ),
        pytest.param(
            Settings(),
            {"MISTRAL_API_KEY": "sk-m"},
            Credentials("sk-m", "env MISTRAL_API_KEY", MISTRAL_HOST),
            id="mistral-key-mistral-host",
        ),
        pytest.param(
            Settings(endpoint=ENDPOINT),
            {"MISTRAL_API_KEY": "sk-m"},
            Credentials("sk-m", "env MISTRAL_API_KEY", ENDPOINT),
            id="explicit-endpoint-wins",
        ),
        pytest.param(
            Settings(endpoint=ENDPOINT),
            {"CODESTRAL_API_KEY": "sk-c"},
            Credentials("sk-c", "env CODESTRAL_API_KEY", ENDPOINT),
            id="explicit-endpoint-wins-codestral",
        ),
        pytest.param(
            Settings(),
            {"CODESTRAL_API_KEY": "", "MISTRAL_API_KEY": "sk-m"},
            Credentials("sk-m", "env MISTRAL_API_KEY", MISTRAL_HOST),
            id="empty-env-is-unset",
        ),
        pytest.param(
            Settings(api_key=""),
            {"CODESTRAL_API_KEY": "sk-c"},
            Credentials("sk-c", "env CODESTRAL_API_KEY", CODESTRAL_HOST),
            id="empty-setting-is-unset",
        ),
        pytest.param(
            Settings(),
            {},
            Credentials(None, "no key (set apiKey, CODESTRAL_API_KEY or MISTRAL_API_KEY)", CODESTRAL_HOST),
            id="no-key",
        ),
        pytest.param(
            Settings(endpoint=ENDPOINT),
            {},
            Credentials(None, "no key (set apiKey, CODESTRAL_API_KEY or MISTRAL_API_KEY)", ENDPOINT),
            id="no-key-with-endpoint",
        ),
    ],
)
def test_resolve_mistral_credentials(settings: Settings, env: dict[str, str], expected: Credentials) -> None:
    assert resolve_mistral_credentials(settings, env) == expected


def test_credentials_default_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODESTRAL_API_KEY", raising=False)
    monkeypatch.setenv("MISTRAL_API_KEY", "sk-from-process")
    expected = Credentials("sk-from-process", "env MISTRAL_API_KEY", MISTRAL_HOST)
    assert resolve_mistral_credentials(Settings()) == expected


def test_reprs_never_contain_the_key() -> None:
    settings = Settings(api_key="sk-x")
    assert "sk-x" not in repr(settings) and "sk-x" not in str(settings)
    credentials = resolve_mistral_credentials(settings, {})
    assert credentials.key == "sk-x"
    assert "sk-x" not in repr(credentials)
    parsed, _ = parse_settings({"apiKey": "sk-x"})
    assert "sk-x" not in repr(parsed)


def test_settings_dumps_show_no_secret_but_keep_the_rest() -> None:
    settings = Settings(
        api_key="sk-dump-1",
        headers={"X-Gateway-Token": "gw-dump-2"},
        endpoint="https://deploy:pass-dump-3@gw.example:8443/v1?tenant=acme&key=key-dump-4",
        url_template="{endpoint}/m/{model}?api-key=tmpl-dump-5",
    )
    dump = repr(settings)
    assert [s for s in ("sk-dump-1", "gw-dump-2", "pass-dump-3", "key-dump-4", "tmpl-dump-5") if s in dump] == []
    assert "X-Gateway-Token" in dump and "deploy:***@gw.example:8443/v1" in dump and "tenant=acme" in dump


@pytest.mark.parametrize(
    ("settings", "secrets"),
    [
        pytest.param(Settings(), (), id="none"),
        pytest.param(Settings(api_key="sk-1234"), ("sk-1234",), id="api-key"),
        pytest.param(Settings(api_key="abc"), (), id="too-short-to-mask"),
        pytest.param(
            Settings(headers={"Authorization": "Bearer tok-5678", "X-Empty": ""}),
            ("Bearer tok-5678", "tok-5678"),
            id="header-value-and-its-token",
        ),
        pytest.param(
            Settings(endpoint="http://u:p%40ss@h:1/v1?key=k-123&tenant=acme"),
            ("p%40ss", "k-123", "p@ss"),
            id="url-password-and-query-key",
        ),
        pytest.param(Settings(endpoint="http://tok%2F123@h/v1"), ("tok%2F123", "tok/123"), id="url-bare-token"),
        pytest.param(Settings(endpoint="http://sk_live_9:@h/v1"), ("sk_live_9",), id="url-token-empty-password"),
        pytest.param(Settings(url_template="{endpoint}/x?sig=s1g-9"), ("s1g-9",), id="template-query"),
    ],
)
def test_secrets(settings: Settings, secrets: tuple[str, ...]) -> None:
    assert sorted(settings.secrets()) == sorted(secrets)
