"""Typed, validated settings: the one place where every setting and its default is declared.

Editors send camelCase keys (`debounceMs`); fields are snake_case (`debounce_ms`). A bad value
never stops the server: that key keeps its default, the error names the key, the rest apply.
"""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import attrs
import cattrs
import cattrs.errors

from .backends.urls import MASK, display_endpoint
from .errors import SettingsError

Backend = Literal["mistral", "ollama", "llamacpp", "openai"]
BACKENDS: tuple[str, ...] = typing.get_args(Backend)
Multiline = Literal["auto", "always", "never"]

CODESTRAL_HOST = "https://codestral.mistral.ai"
MISTRAL_HOST = "https://api.mistral.ai"

# Files that must never leave the machine, whatever the user configures on top.
DEFAULT_EXCLUDE: tuple[str, ...] = (
    "**/.env",
    "**/.env.*",
    "**/*.env",
    # Key and certificate files, whatever folder they are in.
    "**/*.pem",
    "**/*.key",
    "**/*.p12",
    "**/*.pfx",
    "**/*.p8",
    "**/*.ppk",
    "**/*.jks",
    "**/*.keystore",
    "**/*.keytab",
    "**/*.gpg",
    "**/id_rsa*",
    "**/id_dsa*",
    "**/id_ecdsa*",
    "**/id_ed25519*",
    # Folders that hold nothing but credentials: every file in them, whatever its name
    # (an ssh key may be called anything, `config` names hosts and users).
    "**/.ssh/**",
    "**/.gnupg/**",
    "**/.aws/**",
    "**/.azure/**",
    "**/.config/gcloud/**",
    "**/.password-store/**",
    # Files where tools keep tokens and passwords.
    "**/.netrc",
    "**/_netrc",
    "**/.pgpass",
    "**/.my.cnf",
    "**/.npmrc",
    "**/.pypirc",
    "**/.git-credentials",
    "**/.config/git/credentials",
    "**/.config/gh/hosts.yml",
    "**/.kube/config",
    "**/.docker/config.json",
    "**/.cargo/credentials*",
    "**/.gem/credentials",
    "**/.m2/settings-security.xml",
    "**/.vault-token",
    "**/.boto",
    "**/.s3cfg",
    "**/.htpasswd",
    "**/credentials.json",
    "**/*credentials*.json",
    "**/service-account*.json",
    "**/*.tfstate",
    "**/*.tfstate.backup",
    "**/secrets.y*ml",
    "**/*.secret",
    "**/*.secrets",
)


def _nonneg(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"must be >= 0, got {value!r}")


def _positive(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"must be > 0, got {value!r}")


def _temperature(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 2.0:
        raise ValueError(f"must be between 0 and 2, got {value!r}")


def endpoint_problem(url: str) -> str | None:
    """Why `url` cannot serve as the `endpoint` base URL, or None when it can."""
    if url != url.strip() or any(char.isspace() for char in url):
        return "must not contain spaces"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    try:
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        return "has an invalid port (1-65535)"
    if parts.fragment or url.endswith("#"):
        return "must not contain a # fragment"
    return None


ENDPOINT_BLOCKS = "completions stay off until it is fixed: the default host is not used instead"
BACKEND_BLOCKS = "completions stay off until it is fixed: the default (mistral) is not used instead"


def connection_problem(settings: Settings) -> SettingsError | None:
    """Why no request may be sent with these `backend` and `endpoint` values, or None.

    Both are kept as the user wrote them even when unusable (see `parse_settings`): falling back
    to a default would send the code to a host the user did not choose.
    """
    off = "(completions are off until it is fixed)"
    if settings.backend not in BACKENDS:
        return SettingsError("backend", f"{settings.backend!r} is not one of {', '.join(BACKENDS)} {off}")
    problem = endpoint_problem(settings.endpoint) if settings.endpoint is not None else None
    if problem is not None:
        return SettingsError("endpoint", f"{problem} {off}")
    return None


@attrs.frozen(kw_only=True)
class Settings:
    """Every user-facing setting. Docstring-like `metadata["doc"]` feeds the README table."""

    enable: bool = attrs.field(default=True, metadata={"doc": "Turn completions on or off."})
    backend: Backend = attrs.field(
        default="mistral",
        metadata={"doc": "Wire format: `mistral`, `ollama`, `llamacpp` or `openai`."},
    )
    # Not validated here: an invalid endpoint is kept (and refused where it would be used,
    # see `endpoint_problem`), because falling back to the default host would send the code to
    # a place the user did not choose.
    endpoint: str | None = attrs.field(
        default=None,
        repr=lambda url: repr(url if url is None else display_endpoint(url)),
        metadata={
            "doc": "Base URL. Default: codestral.mistral.ai for `apiKey`/`CODESTRAL_API_KEY`, "
            "api.mistral.ai for `MISTRAL_API_KEY`, the local default for other backends."
        },
    )
    api_key: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={"doc": "API key. Else env CODESTRAL_API_KEY, else MISTRAL_API_KEY."},
    )
    api_key_command: str | None = attrs.field(
        default=None,
        metadata={"doc": "A command printing the key (e.g. `gcloud auth print-access-token`); rerun on expiry or 401."},
    )
    api_key_ttl_s: float = attrs.field(
        default=3000.0,
        validator=_positive,
        metadata={"doc": "How long a key from `apiKeyCommand` is reused."},
    )
    headers: dict[str, str] = attrs.field(
        factory=dict,
        repr=lambda headers: repr(dict.fromkeys(headers, MASK)),  # values are tokens more often than not
        metadata={"doc": "Extra HTTP headers (company proxies, gateways)."},
    )
    url_template: str | None = attrs.field(
        default=None,
        repr=lambda url: repr(url if url is None else display_endpoint(url)),
        metadata={
            "doc": "Full URL with `{endpoint}`, `{model}`, `{method}` placeholders (Vertex AI, proxies); "
            "overrides the backend's route."
        },
    )
    model: str = attrs.field(default="codestral-latest", metadata={"doc": "Model id (Ollama: its tag)."})
    prompt_template: str | None = attrs.field(
        default=None,
        metadata={
            "doc": "Raw FIM prompt for backends without a suffix field; `{prefix}`, `{suffix}`. "
            "Default: Codestral's `[SUFFIX]{suffix}[PREFIX]{prefix}`."
        },
    )
    keep_alive: str = attrs.field(default="30m", metadata={"doc": "Ollama: keep the model loaded this long."})
    debounce_ms: int = attrs.field(
        default=120,
        validator=_nonneg,
        metadata={"doc": "Base wait after a keystroke before asking (adapted to typing speed)."},
    )
    max_tokens: int = attrs.field(default=256, validator=_positive, metadata={"doc": "Most tokens per suggestion."})
    temperature: float = attrs.field(default=0.0, validator=_temperature, metadata={"doc": "Sampling temperature."})
    timeout_ms: int = attrs.field(
        default=8000, validator=_positive, metadata={"doc": "Give up on a request after this long."}
    )
    multiline: Multiline = attrs.field(
        default="auto",
        metadata={"doc": "`auto` (from the cursor's position), `always` or `never`."},
    )
    max_prefix_chars: int = attrs.field(
        default=6000,
        validator=_positive,
        metadata={"doc": "Budget for the code before the cursor."},
    )
    max_suffix_chars: int = attrs.field(
        default=2000, validator=_nonneg, metadata={"doc": "Budget for the code after the cursor."}
    )
    max_document_chars: int = attrs.field(
        default=10_000_000,
        validator=_positive,
        metadata={"doc": "Documents larger than this get no completions."},
    )
    exclude: tuple[str, ...] = attrs.field(
        default=(),
        converter=tuple,
        metadata={"doc": "Extra globs of files never sent (on top of .env*, keys, credential files and folders)."},
    )
    languages: dict[str, bool] = attrs.field(
        factory=dict,
        metadata={"doc": 'Per-language switch, e.g. `{"markdown": false, "*": true}`.'},
    )
    cache_size: int = attrs.field(default=512, validator=_nonneg, metadata={"doc": "Completions kept in the cache."})
    cache_ttl_s: float = attrs.field(
        default=300.0,
        validator=_positive,
        metadata={"doc": "Age after which a cached completion is dropped."},
    )
    prefetch: bool = attrs.field(default=True, metadata={"doc": "Fetch the next suggestion when one is shown."})
    reuse: bool = attrs.field(
        default=True,
        metadata={
            "doc": "Serve the rest of a suggestion the user types through; adopt an in-flight request "
            "the typing agrees with."
        },
    )
    adaptive_debounce: bool = attrs.field(
        default=True,
        metadata={"doc": "Adapt the debounce to typing speed, cursor position and backend latency."},
    )

    def secrets(self) -> tuple[str, ...]:
        """Every configured value never to show (longest first): the key, each header value and
        the token in it, a password in a URL, and URL query values with secret-looking names."""
        values = [self.api_key or ""]
        for value in self.headers.values():
            values += [value, value.split()[-1] if value.split() else ""]  # "Bearer <token>": the token alone too
        for url in (self.endpoint, self.url_template):
            values += _url_secrets(url or "")
        return tuple(sorted({value for value in values if len(value) >= MIN_SECRET_CHARS}, key=len, reverse=True))

    @property
    def all_exclude_globs(self) -> tuple[str, ...]:
        return DEFAULT_EXCLUDE + self.exclude

    def language_enabled(self, language_id: str) -> bool:
        if not self.enable:
            return False
        return self.languages.get(language_id, self.languages.get("*", True))


# Shorter values would mask ordinary words in every log line; no real credential is that short.
MIN_SECRET_CHARS = 4
_SECRET_QUERY_NAME = re.compile(r"key|token|secret|passw|sig|auth|credential", re.IGNORECASE)


def _url_secrets(url: str) -> list[str]:
    """A URL's password (or bare token: `https://TOKEN@host`) and secret-looking query values, as
    written and percent-decoded."""
    parts = urlsplit(url)
    username, _, password = parts.netloc.rpartition("@")[0].partition(":")
    found = [password or username]
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if _SECRET_QUERY_NAME.search(unquote(name)):
            found.append(value)
    return found + [unquote(value) for value in found]


attrs.resolve_types(Settings)
_converter = cattrs.Converter(forbid_extra_keys=True)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


FIELDS_BY_KEY: dict[str, attrs.Attribute[Any]] = {camel(f.name): f for f in attrs.fields(Settings)}


def parse_settings(raw: Mapping[str, Any] | None, base: Settings | None = None) -> tuple[Settings, list[SettingsError]]:
    """Structure camelCase `raw` on top of `base`, one key at a time, keeping going past bad ones."""
    settings = base or Settings()
    errors: list[SettingsError] = []
    if raw is None:
        return settings, errors
    if not isinstance(raw, Mapping):
        return settings, [SettingsError("*", f"settings must be an object, got {type(raw).__name__}")]
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        field = FIELDS_BY_KEY.get(key)
        if field is None:
            errors.append(SettingsError(key, "unknown setting (ignored)"))
            continue
        if field.name == "exclude" and isinstance(value, str):
            value = [value]
        blocked = _blocked_connection(field.name, key, value)
        if blocked is not None:
            # Kept as written, so that nothing is sent until it is fixed (`connection_problem`).
            errors.append(blocked)
            changes[field.name] = value if isinstance(value, str) else repr(value)
            continue
        try:
            structured = _strict_structure(value, field.type)
            candidate = attrs.evolve(settings, **changes, **{field.name: structured})
        except (
            cattrs.BaseValidationError,
            cattrs.errors.CattrsError,
            ValueError,
            TypeError,
        ) as exc:
            if field.name in _SECRET_FIELDS:
                # The bad value may well be the key itself (e.g. inside a list): never echo it.
                errors.append(SettingsError(key, f"invalid value of type {type(value).__name__} (not shown)"))
            else:
                errors.append(SettingsError(key, _describe(exc, value)))
            continue
        changes[field.name] = candidate.__getattribute__(field.name)
    return attrs.evolve(settings, **changes), errors


def _blocked_connection(name: str, key: str, value: Any) -> SettingsError | None:
    """The error for an unusable `backend` or `endpoint` value, or None (any other field, or fine)."""
    if name == "backend" and value not in BACKENDS:
        return SettingsError(key, f"{value!r} is not one of {', '.join(BACKENDS)}; {BACKEND_BLOCKS}")
    if name != "endpoint" or value is None:
        return None
    if not isinstance(value, str):
        return SettingsError(key, f"expected a string URL, got {value!r}; {ENDPOINT_BLOCKS}")
    problem = endpoint_problem(value)
    if problem is None:
        return None
    return SettingsError(key, f"{problem}, got {display_endpoint(value)!r}; {ENDPOINT_BLOCKS}")


_SECRET_FIELDS = frozenset({"api_key", "headers"})


def _strict_structure(value: Any, type_: Any) -> Any:
    # cattrs happily turns "3" into 3 and 1 into True; a typo in settings deserves an error.
    if type_ is int and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(f"expected a whole number, got {value!r}")
    if type_ is int and isinstance(value, float):
        if not value.is_integer():
            raise TypeError(f"expected a whole number, got {value!r}")
        value = int(value)
    if type_ is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(f"expected a number, got {value!r}")
    if type_ is bool and not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    if type_ in (str, str | None) and value is not None and not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    if type_ is str and value is None:
        raise TypeError("expected a string, got null")  # cattrs would make it the string "None"
    # Containers: the same strictness for every element, and no AttributeError escaping on a
    # string where an object belongs ("languages": "markdown" must not stop the server).
    origin = typing.get_origin(type_)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {value!r}")
        key_type, value_type = typing.get_args(type_)
        return {_strict_structure(k, key_type): _strict_structure(v, value_type) for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {value!r}")
        return tuple(_strict_structure(item, typing.get_args(type_)[0]) for item in value)
    return _converter.structure(value, type_)


def _describe(exc: Exception, value: Any) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        inner = exc.exceptions[0] if exc.exceptions else exc
        return f"invalid value {value!r} ({inner})"
    return f"invalid value {value!r} ({exc})"


@attrs.frozen
class Credentials:
    """Which key we use and where it came from. `source` is safe to show; `key` never is."""

    key: str | None = attrs.field(repr=False)
    source: str
    endpoint: str


def resolve_mistral_credentials(settings: Settings, env: Mapping[str, str] | None = None) -> Credentials:
    """apiKey, else CODESTRAL_API_KEY (codestral host), else MISTRAL_API_KEY (api host)."""
    env = os.environ if env is None else env
    if settings.api_key:
        return Credentials(settings.api_key, "the apiKey setting", settings.endpoint or CODESTRAL_HOST)
    if settings.api_key_command:
        return Credentials(None, "the apiKeyCommand setting", settings.endpoint or CODESTRAL_HOST)
    if env.get("CODESTRAL_API_KEY"):
        return Credentials(env["CODESTRAL_API_KEY"], "env CODESTRAL_API_KEY", settings.endpoint or CODESTRAL_HOST)
    if env.get("MISTRAL_API_KEY"):
        return Credentials(env["MISTRAL_API_KEY"], "env MISTRAL_API_KEY", settings.endpoint or MISTRAL_HOST)
    return Credentials(
        None,
        "no key (set apiKey, CODESTRAL_API_KEY or MISTRAL_API_KEY)",
        settings.endpoint or CODESTRAL_HOST,
    )
