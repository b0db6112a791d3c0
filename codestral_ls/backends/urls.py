"""Endpoint URLs: joining a route onto a base URL, filling a `urlTemplate`, userinfo and display.

- `join_url()` appends a route to the endpoint's *path* and keeps its query string
  (`https://gw/x?tenant=a` + `/v1/fim/completions` -> `https://gw/x/v1/fim/completions?tenant=a`).
- `fill_template()` does the same for a `urlTemplate`: `{endpoint}` is the endpoint without its
  query, and the endpoint's query is added to the template's own.
- `split_userinfo()` takes `user:password@` out of an endpoint, so it never reaches the wire
  by accident (httpx would turn it into a Basic Authorization header that replaces our Bearer).
- `display_endpoint()` renders an endpoint for people: password and secret-looking query values
  are masked, so an endpoint can be printed in errors, logs and `check` output. Userinfo with no
  password (`https://TOKEN@host`, `https://TOKEN:@host`) is a bare token: masked whole.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import attrs

MASK = "***"
_TEMPLATE_PLACEHOLDER = re.compile(r"\{(endpoint|model|method)\}")
# Query parameters whose value is a credential in common gateways (`?key=` on Google APIs,
# `?api-key=` on Azure, `?sig=` on signed URLs).
_SECRET_QUERY_NAME = re.compile(r"key|token|secret|passw|sig|auth|credential", re.IGNORECASE)


@attrs.frozen
class UserInfo:
    """`user:password` from an endpoint URL, percent-decoded."""

    username: str
    password: str

    @property
    def secret(self) -> str:
        """The credential in it: the password, or the user name when there is none (a bare token)."""
        return self.password or self.username

    def __repr__(self) -> str:  # never print the secret, even in a debugger or a log of a repr
        username = self.username if self.password else MASK
        return f"UserInfo(username={username!r}, password={MASK!r})"


def split_userinfo(endpoint: str) -> tuple[str, UserInfo | None]:
    """The endpoint without `user:password@`, and the userinfo it had (None if none)."""
    parts = urlsplit(endpoint)
    if "@" not in parts.netloc:
        return endpoint, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    bare = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return bare, UserInfo(unquote(username), unquote(password))


def join_url(endpoint: str, path: str) -> str:
    """`path` appended to the endpoint's path; the endpoint's query string is kept at the end."""
    parts = urlsplit(endpoint)
    if not parts.scheme:  # not a URL we can take apart: join naively and let httpx complain
        return endpoint.rstrip("/") + path
    joined_path = parts.path.rstrip("/") + path
    return urlunsplit((parts.scheme, parts.netloc, joined_path, parts.query, ""))


def endpoint_path(endpoint: str) -> str:
    """The path of the endpoint, without a trailing slash (e.g. "/v1" for LM Studio's default)."""
    return urlsplit(endpoint).path.rstrip("/")


def fill_template(template: str, endpoint: str, *, model: str = "", method: str = "") -> str:
    """`urlTemplate` with `{endpoint}`, `{model}`, `{method}` filled in one pass.

    `{endpoint}` is the base URL without its query; the query is appended to the result's own
    query, so `{endpoint}/models/{model}:rawPredict` keeps a `?tenant=` the endpoint carries.
    """
    parts = urlsplit(endpoint)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")) if parts.scheme else endpoint
    values = {"endpoint": base.rstrip("/"), "model": model, "method": method}
    filled = _TEMPLATE_PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
    if not parts.query or "{endpoint}" not in template:
        return filled
    return add_query(filled, parts.query)


def add_query(url: str, query: str) -> str:
    """`url` with `query` appended to whatever query it already has."""
    if not query:
        return url
    head, hash_mark, fragment = url.partition("#")
    separator = "&" if "?" in head else "?"
    if head.endswith(("?", "&")):
        separator = ""
    return head + separator + query + hash_mark + fragment


def display_endpoint(endpoint: str) -> str:
    """The endpoint as people may see it: `https://user:***@host/x?tenant=a&key=***`, and
    `https://***@host` for a bare token (`https://TOKEN@host`)."""
    parts = urlsplit(endpoint)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        username, _, password = userinfo.partition(":")
        netloc = f"{username}:{MASK}@{hostport}" if password else f"{MASK}@{hostport}"
    query = _masked_query(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _masked_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return query
    masked = [(name, MASK if _SECRET_QUERY_NAME.search(name) else value) for name, value in pairs]
    return urlencode(masked, safe="*", quote_via=quote)


def basic_authorization(userinfo: UserInfo) -> str:
    """The `Authorization` header value for HTTP Basic auth."""
    token = base64.b64encode(f"{userinfo.username}:{userinfo.password}".encode()).decode("ascii")
    return f"Basic {token}"


def has_header(headers: Mapping[str, str], name: str) -> bool:
    """Whether `headers` set `name` (HTTP header names are case-insensitive)."""
    lowered = name.lower()
    return any(key.lower() == lowered for key in headers)
