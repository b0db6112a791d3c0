"""Endpoint URL helpers: joining routes, filling templates, userinfo, display (tables of cases)."""

from __future__ import annotations

import pytest

from codestral_ls.backends.urls import (
    UserInfo,
    add_query,
    display_endpoint,
    fill_template,
    join_url,
    split_userinfo,
)


@pytest.mark.parametrize(
    ("endpoint", "path", "expected"),
    [
        ("https://codestral.mistral.ai", "/v1/fim/completions", "https://codestral.mistral.ai/v1/fim/completions"),
        ("https://gw/x/", "/v1/fim/completions", "https://gw/x/v1/fim/completions"),
        ("https://gw/x?tenant=a", "/v1/fim/completions", "https://gw/x/v1/fim/completions?tenant=a"),
        ("https://gw/x/?tenant=a&team=b", "/api/generate", "https://gw/x/api/generate?tenant=a&team=b"),
        ("http://127.0.0.1:8080#frag", "/completion", "http://127.0.0.1:8080/completion"),
        ("not a url", "/x", "not a url/x"),
    ],
)
def test_join_url_keeps_the_query(endpoint: str, path: str, expected: str) -> None:
    assert join_url(endpoint, path) == expected


@pytest.mark.parametrize(
    ("template", "endpoint", "expected"),
    [
        ("{endpoint}/models/{model}:{method}", "https://gw/x", "https://gw/x/models/m:raw"),
        ("{endpoint}/models/{model}:{method}", "https://gw/x?tenant=a", "https://gw/x/models/m:raw?tenant=a"),
        ("{endpoint}/m?v=2", "https://gw/?tenant=a", "https://gw/m?v=2&tenant=a"),
        ("https://fixed/{model}", "https://gw?tenant=a", "https://fixed/m"),  # no {endpoint}: nothing added
        ("{endpoint}/{model}/{{x}}", "https://gw", "https://gw/m/{{x}}"),  # other braces left alone
    ],
)
def test_fill_template(template: str, endpoint: str, expected: str) -> None:
    assert fill_template(template, endpoint, model="m", method="raw") == expected


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [("https://a/b", "t=1", "https://a/b?t=1"), ("https://a/b?x=1", "t=1", "https://a/b?x=1&t=1"), ("u", "", "u")],
)
def test_add_query(url: str, query: str, expected: str) -> None:
    assert add_query(url, query) == expected


@pytest.mark.parametrize(
    ("endpoint", "bare", "userinfo"),
    [
        ("https://gw/x", "https://gw/x", None),
        ("https://alice:s3cr%40t@gw:8443/x?t=1", "https://gw:8443/x?t=1", UserInfo("alice", "s3cr@t")),
        ("https://token@gw", "https://gw", UserInfo("token", "")),
        ("https://a:b@c@gw", "https://gw", UserInfo("a", "b@c")),
    ],
)
def test_split_userinfo(endpoint: str, bare: str, userinfo: UserInfo | None) -> None:
    assert split_userinfo(endpoint) == (bare, userinfo)


@pytest.mark.parametrize(
    ("endpoint", "shown"),
    [
        ("https://gw/x?tenant=a", "https://gw/x?tenant=a"),
        ("https://alice:hunter2@gw/x", "https://alice:***@gw/x"),
        # Userinfo without a password is a bare token (`https://ghp_x@host`, `https://sk_x:@host`):
        # it cannot be told from a user name, so it is masked whole.
        ("https://alice@gw/x", "https://***@gw/x"),
        ("https://ghp_0123456789@gw/x?tenant=a", "https://***@gw/x?tenant=a"),
        ("https://sk_live_42:@gw:8443/x", "https://***@gw:8443/x"),
        ("https://gw/x?key=AIza123&tenant=a", "https://gw/x?key=***&tenant=a"),
        ("https://gw/x?api-key=abc&sig=zz&access_token=t", "https://gw/x?api-key=***&sig=***&access_token=***"),
    ],
)
def test_display_endpoint_masks_passwords_and_secret_query_values(endpoint: str, shown: str) -> None:
    assert display_endpoint(endpoint) == shown


def test_userinfo_repr_hides_the_password() -> None:
    assert "hunter2" not in repr(UserInfo("alice", "hunter2"))
    assert "ghp_0123" not in repr(UserInfo("ghp_0123", ""))  # a bare token is the secret


@pytest.mark.parametrize(
    ("userinfo", "secret"),
    [(UserInfo("alice", "hunter2"), "hunter2"), (UserInfo("ghp_0123", ""), "ghp_0123"), (UserInfo("", ""), "")],
)
def test_userinfo_secret_is_the_password_or_a_bare_token(userinfo: UserInfo, secret: str) -> None:
    assert userinfo.secret == secret
