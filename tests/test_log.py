"""log: secrets never reach a log line, and logging never writes to stdout (which carries LSP)."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from codestral_ls.log import SecretRedactor, configure_logging

SECRET = "sk-registered-0123456789"


@pytest.fixture
def redactor() -> SecretRedactor:
    redactor = SecretRedactor()
    redactor.add(SECRET)
    return redactor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"using {SECRET} now", "using *** now", id="registered-secret"),
        pytest.param(f"{SECRET}{SECRET}", "******", id="registered-secret-twice"),
        pytest.param(f"url?key={SECRET}&x=1", "url?key=***&x=1", id="registered-secret-inside-text"),
        pytest.param("Authorization: Bearer abc123xyz", "Authorization: Bearer ***", id="bearer-header"),
        pytest.param('{"Authorization": "Bearer sk-live-1"}', '{"Authorization": "Bearer ***"}', id="bearer-json"),
        pytest.param("authorization: BEARER tok.en_/+=-9", "authorization: BEARER ***", id="bearer-any-case"),
        pytest.param("Bearer abc12", "Bearer abc12", id="bearer-too-short-to-be-a-key"),
        pytest.param('"apiKey": "sk-live-123"', '"apiKey": "***"', id="json-apikey"),
        pytest.param('{"apiKey":"sk-1","model":"m"}', '{"apiKey":"***","model":"m"}', id="compact-json"),
        pytest.param("{'apiKey': 'sk-2', 'x': 1}", "{'apiKey': '***', 'x': 1}", id="python-repr"),
        pytest.param("{'api_key': 'sk-3'}", "{'api_key': '***'}", id="snake-case"),
        pytest.param("api_key=sk-123 next", "api_key=*** next", id="assignment"),
        pytest.param("MISTRAL_API_KEY=sk-9", "MISTRAL_API_KEY=***", id="env-var"),
        pytest.param("APIKEY = zz", "APIKEY = ***", id="upper-case-spaced"),
        pytest.param("x-api-key: s3cr3t", "x-api-key: ***", id="x-api-key-header"),
        pytest.param('{"X-Api-Key": "s3cr3t"}', '{"X-Api-Key": "***"}', id="x-api-key-json"),
        pytest.param("the apiKey setting", "the apiKey setting", id="mention-is-not-a-key"),
        pytest.param(
            "set apiKey, CODESTRAL_API_KEY or MISTRAL_API_KEY",
            "set apiKey, CODESTRAL_API_KEY or MISTRAL_API_KEY",
            id="list-of-sources-is-not-a-key",
        ),
        pytest.param("nothing secret here", "nothing secret here", id="plain"),
        # The headers setting, as pygls logs it (repr of InitializeParams, JSON, a configuration reply).
        pytest.param(
            "initialization_options={'headers': {'X-Gateway': 'gw-1', 'X-Tenant': 'acme'}, 'model': 'm'}",
            "initialization_options={'headers': {'X-Gateway': '***', 'X-Tenant': '***'}, 'model': 'm'}",
            id="headers-python-repr",
        ),
        pytest.param(
            '{"headers": {"X-Custom": "abc", "X-Quoted": "a\\"b"}, "x": "y"}',
            '{"headers": {"X-Custom": "***", "X-Quoted": "***"}, "x": "y"}',
            id="headers-json-with-escaped-quote",
        ),
        pytest.param("'headers': {}", "'headers': {}", id="headers-empty"),
        pytest.param("Headers={'cookie': 'sess=1'}", "Headers={'cookie': '***'}", id="headers-keyword"),
        # Secret-looking names with any value, and Authorization with any scheme.
        pytest.param('{"access_token": "ya29.x"}', '{"access_token": "***"}', id="access-token"),
        pytest.param("X-Auth-Token: t0ken", "X-Auth-Token: ***", id="auth-token-header"),
        pytest.param("client_secret=abc&x=1", "client_secret=***&x=1", id="client-secret"),
        pytest.param("password: hunter2", "password: ***", id="password"),
        pytest.param("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***", id="basic-auth"),
        pytest.param(
            "{'max_tokens': 256, 'prompt_tokens': 12}", "{'max_tokens': 256, 'prompt_tokens': 12}", id="tokens"
        ),
        pytest.param("the token setting", "the token setting", id="mention-of-token"),
        pytest.param("work_done_token=None, 'secret': null", "work_done_token=None, 'secret': null", id="no-value"),
        # URLs: a password in the userinfo, secret-looking query values.
        pytest.param("GET http://me:pa55w0rd@gw:8080/v1", "GET http://me:***@gw:8080/v1", id="url-password"),
        pytest.param("http://tok-123@gw/v1", "http://***@gw/v1", id="url-bare-token"),
        pytest.param("see https://sk_live_9:@gw/v1", "see https://***@gw/v1", id="url-token-empty-password"),
        pytest.param("mail me@gw.example", "mail me@gw.example", id="an-address-is-not-a-url"),
        pytest.param("https://gw/x?tenant=a&key=AIza-1", "https://gw/x?tenant=a&key=***", id="query-key"),
        pytest.param("https://gw/x?api-key=z&sig=abc#f", "https://gw/x?api-key=***&sig=***#f", id="query-api-key-sig"),
        pytest.param("https://gw/x?tenant=acme", "https://gw/x?tenant=acme", id="query-plain"),
    ],
)
def test_redact(redactor: SecretRedactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected


@pytest.mark.parametrize(
    ("secret", "registered"),
    [
        pytest.param(None, False, id="none"),
        pytest.param("", False, id="empty"),
        pytest.param("abc", False, id="too-short-would-mangle-text"),
        pytest.param("abcd", True, id="four-chars"),
    ],
)
def test_add(secret: str | None, registered: bool) -> None:
    redactor = SecretRedactor()
    redactor.add(secret)
    assert (redactor.redact("x abcd abc x") != "x abcd abc x") is registered


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a" * 200_000, id="one-long-word"),
        pytest.param("a." * 100_000, id="dotted-run"),
        pytest.param("?" + "key" * 70_000, id="query-name-run"),
        pytest.param("token" * 40_000, id="token-run"),
        pytest.param("http://" + "a:" * 100_000, id="userinfo-run"),
        pytest.param("h://" + "a" * 200_000 + "h://" * 50_000, id="scheme-and-token-runs"),
        pytest.param('"headers": {' + '"a": "' * 30_000 + "}", id="unclosed-header-values"),
    ],
)
def test_redact_stays_linear_on_long_runs(text: str) -> None:
    """Every log record goes through the shapes: a quadratic one hung the server for hours on a
    200,000-character word (4.8 s at 10,000). Linear takes milliseconds; the alarm only guards
    against a hang, with a margin of thousands."""
    redactor = SecretRedactor()

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("redact() did not finish: a shape backtracks quadratically")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        assert redactor.redact(text)[:8] == text[:8]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_add_settings_registers_every_configured_secret() -> None:
    from codestral_ls.config import Settings

    settings = Settings(
        api_key="sk-settings-key",
        headers={"Authorization": "Bearer gw-bearer-1", "X-Tenant": "tenant-2"},
        endpoint="https://deploy:p%40ss-3@gw.example/v1?key=query-4",
        url_template="https://ghp-token-6@gw.example/m/{model}?api-key=tmpl-5",
    )
    redactor = SecretRedactor()
    redactor.add_settings(settings)
    # Each secret alone, where no shape gives it away.
    text = "sk-settings-key gw-bearer-1 tenant-2 p%40ss-3 p@ss-3 query-4 tmpl-5 ghp-token-6"
    assert redactor.redact(text) == " ".join(["***"] * 8)


@pytest.mark.parametrize(
    ("name", "value", "registered"),
    [
        pytest.param("CODESTRAL_API_KEY", "codestral-env-1", True, id="codestral"),
        pytest.param("MISTRAL_API_KEY", "mistral-env-22", True, id="mistral"),
        pytest.param("OLLAMA_API_KEY", "ollama-env-333", True, id="ollama"),
        pytest.param("LLAMA_API_KEY", "llama-env-4444", True, id="llamacpp"),
        pytest.param("OPENAI_APIKEY", "openai-env-555", True, id="apikey-without-underscore"),
        pytest.param("GITHUB_TOKEN", "ghp_0123456789", True, id="token"),
        pytest.param("DB_PASSWORD", "hunter2-db-pw", True, id="password"),
        pytest.param("SOME_TOKEN", "true", False, id="a-flag-is-not-a-secret"),
        pytest.param("HOME", "/home/someone-1", False, id="ordinary-variable"),
        pytest.param("TOKENIZERS_PARALLELISM", "false-but-long", False, id="name-must-end-so"),
    ],
)
def test_add_environment(name: str, value: str, registered: bool) -> None:
    redactor = SecretRedactor()
    redactor.add_environment({name: value})
    assert (redactor.redact(f"x {value} y") == "x *** y") is registered


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("codestral_ls.test", logging.INFO, __file__, 1, msg, args or None, exc_info)


def _raised(message: str) -> BaseException:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return exc


@pytest.mark.parametrize(
    ("msg", "args", "exc", "message", "exc_text_has"),
    [
        pytest.param("key is %s", (SECRET,), None, "key is ***", None, id="secret-in-args"),
        pytest.param("%s=%d", ("apiKey", 5), None, "apiKey=***", None, id="shape-made-by-formatting"),
        pytest.param(f"key is {SECRET}", (), None, "key is ***", None, id="secret-in-msg"),
        pytest.param("sent %s", ({"apiKey": "sk-x1"},), None, "sent {'apiKey': '***'}", None, id="dict-arg"),
        pytest.param("100%% of %s", ("requests",), None, "100% of requests", None, id="clean-message-untouched"),
        pytest.param("failed", (), _raised(f"401 for key {SECRET}"), "failed", "401 for key ***", id="exception"),
        pytest.param(
            "failed %s",
            ("x",),
            _raised("headers: Authorization: Bearer abcdefgh"),
            "failed x",
            "Authorization: Bearer ***",
            id="exception-bearer",
        ),
    ],
)
def test_filter_cleans_records(
    redactor: SecretRedactor,
    msg: str,
    args: tuple[object, ...],
    exc: BaseException | None,
    message: str,
    exc_text_has: str | None,
) -> None:
    record = _record(msg, *args, exc=exc)
    assert redactor.filter(record) is True
    formatted = logging.Formatter("%(message)s").format(record)
    assert record.getMessage() == message
    assert SECRET not in formatted and "sk-x1" not in formatted and "abcdefgh" not in formatted
    if exc_text_has is not None:
        assert exc_text_has in formatted
        assert "Traceback" in formatted


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    named = {name: logging.getLogger(name).level for name in ("pygls", "httpx", "httpcore")}
    yield
    for handler in root.handlers:
        if handler not in saved[0]:
            handler.close()
    root.handlers[:], root.level = saved
    for name, level in named.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_writes_to_stderr_never_stdout(
    capfd: pytest.CaptureFixture[str], redactor: SecretRedactor
) -> None:
    configure_logging("info", None, redactor)
    logging.getLogger("codestral_ls.x").info("hello %s with %s", "world", SECRET)
    logging.getLogger("codestral_ls.x").debug("not at info")
    try:
        raise ValueError(f"bad key {SECRET}")
    except ValueError:
        logging.getLogger("codestral_ls.x").exception("it broke")
    out, err = capfd.readouterr()
    assert out == ""
    assert "INFO codestral_ls.x: hello world with ***" in err
    assert "it broke" in err and "ValueError: bad key ***" in err
    assert SECRET not in err and "not at info" not in err


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_to_a_file(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], redactor: SecretRedactor
) -> None:
    log_file = tmp_path / "server.log"
    configure_logging("DEBUG", str(log_file), redactor)
    logging.getLogger("pygls.protocol").debug('{"initializationOptions": {"apiKey": "sk-in-params"}}')
    for handler in logging.getLogger().handlers:
        handler.flush()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    text = log_file.read_text(encoding="utf-8")
    assert '{"initializationOptions": {"apiKey": "***"}}' in text
    assert "sk-in-params" not in text


@pytest.mark.parametrize(
    ("level", "root", "pygls"),
    [
        pytest.param("debug", logging.DEBUG, logging.NOTSET, id="debug-keeps-pygls"),
        pytest.param("INFO", logging.INFO, logging.WARNING, id="info-quiets-pygls"),
        pytest.param("warning", logging.WARNING, logging.WARNING, id="warning"),
    ],
)
@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_levels(level: str, root: int, pygls: int, redactor: SecretRedactor) -> None:
    logging.getLogger("pygls").setLevel(logging.NOTSET)
    configure_logging(level, None, redactor)
    assert logging.getLogger().level == root
    assert logging.getLogger("pygls").level == pygls
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING
    assert len(logging.getLogger().handlers) == 1
