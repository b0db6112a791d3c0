"""`codestral-ls check`: can completions work with these settings? Each step, its time, a fix.

Steps: the settings themselves (a value that cannot work is a FAIL naming the key; a bad
`backend` or `endpoint` stops the check before anything is sent), reach the endpoint, verify the
key, confirm the model exists and can fill in the middle (the per-backend probes in `probes`),
warn when the prompt budget exceeds the server's context window, then one tiny completion through
the real backend. The exit code is 0 only when every step that ran passed. Keys, header values and
passwords in URLs are never printed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TextIO

import attrs
import httpx

from .backends.http import make_http_client
from .backends.urls import display_endpoint
from .backends.window import prompt_budget_warning, read_context_window
from .config import FIELDS_BY_KEY, Settings, connection_problem
from .errors import BackendError, SettingsError
from .fixes import SETTING_FIXES
from .log import SecretRedactor
from .probes import PROBES, SIBLING_HOSTS, Skipped, StepFailed, tiny_completion


@attrs.define
class Report:
    """Prints one line per step; remembers whether any failed. Never prints a secret `hidden` knows."""

    out: TextIO
    failed: bool = False
    warned: bool = False
    hidden: SecretRedactor = attrs.Factory(SecretRedactor)

    def hide(self, secret: str) -> None:
        """Never print `secret` (e.g. a key apiKeyCommand printed: it is in no setting)."""
        self.hidden.add(secret)

    async def step(self, title: str, action: Callable[[], Awaitable[str]]) -> bool:
        started = time.perf_counter()
        try:
            note = await action()
        except Skipped as skip:
            self._line("skip", title, str(skip), started)
            return True
        except StepFailed as failure:
            return self._fail(title, failure.problem, failure.fix, started)
        except BackendError as exc:
            return self._fail(title, str(exc), "", started)
        except Exception as exc:  # a reply we did not expect: report it, do not crash
            return self._fail(title, f"unexpected {type(exc).__name__}: {exc}", "", started)
        self._line("ok", title, note, started)
        return True

    def fail(self, title: str, problem: str, fix: str = "") -> bool:
        """A failure found without running anything (e.g. a setting that cannot work)."""
        return self._fail(title, problem, fix, None)

    def warn(self, title: str, note: str, fix: str = "") -> None:
        """Something that works but will hurt; does not change the exit code."""
        self.warned = True
        self._line("warn", title, note, None)
        if fix:
            self.write(f"        fix: {fix}\n")

    def write(self, text: str) -> None:
        self.out.write(self.hidden.redact_known(text))
        self.out.flush()

    def _fail(self, title: str, problem: str, fix: str, started: float | None) -> bool:
        self.failed = True
        self._line("FAIL", title, problem, started)
        if fix:
            self.write(f"        fix: {fix}\n")
        return False

    def _line(self, verdict: str, title: str, note: str, started: float | None) -> None:
        detail = f" ({note})" if note else ""
        timing = "" if started is None else f"  [{(time.perf_counter() - started) * 1000.0:.0f} ms]"
        self.write(f"  {verdict:<5} {title}{detail}{timing}\n")


async def run_check(
    settings: Settings,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    sibling_hosts: Mapping[str, str] = SIBLING_HOSTS,
    settings_problems: Sequence[SettingsError] = (),
) -> int:
    """Check `settings` step by step, printing to `out`; 0 when completions will work, else 1."""
    env = os.environ if env is None else env
    report = Report(out)
    report.hidden.add_settings(settings)  # the key, header values, URL passwords and tokens
    report.hidden.add_environment(env)  # every backend's *_API_KEY, and other tokens
    report.write(
        f"codestral-ls check: backend {settings.backend}, model {settings.model}, "
        f"endpoint {display_endpoint(settings.endpoint) if settings.endpoint else 'default'}\n"
    )
    if _settings_usable(settings, settings_problems, report):
        own_client = client is None
        http = client if client is not None else make_http_client(settings.timeout_ms)
        try:
            probe = PROBES[settings.backend]
            if await probe(settings, http, env, report, sibling_hosts):
                await _warn_if_window_small(settings, http, env, report)
                await report.step("one tiny completion", lambda: tiny_completion(settings, http, env, report.hide))
            else:
                report.write("  skip  one tiny completion (an earlier step failed)\n")
        finally:
            if own_client:
                await http.aclose()
    else:
        report.write("  skip  the endpoint, key and model (nothing is sent while these settings are wrong)\n")
    if report.failed:
        report.write("Completions will NOT work yet: fix the first failure above.\n")
        return 1
    report.write("Completions will work" + (" (see the warning above).\n" if report.warned else ".\n"))
    return 0


# How to give each kind of server a larger context window (the other fix is a smaller budget).
LARGER_WINDOW: Mapping[str, str] = {
    "llamacpp": "or start llama-server with a larger context (-c)",
    "ollama": "or raise the window (`PARAMETER num_ctx` in a Modelfile, or OLLAMA_CONTEXT_LENGTH for `ollama serve`)",
    "openai": "or serve the model with a larger --max-model-len",
}


async def _warn_if_window_small(
    settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str], report: Report
) -> None:
    """A warning when the prompt budget exceeds the server's context window (where it tells it)."""
    try:
        window = await read_context_window(settings, client, env, on_secret=report.hide)
    except BackendError:
        return  # the probe above has reported whether the server can be reached
    warning = prompt_budget_warning(settings, window)
    if warning is not None:
        fix = f"lower `maxPrefixChars` (now {settings.max_prefix_chars}) {LARGER_WINDOW.get(settings.backend, '')}"
        report.warn("context window", warning, fix.rstrip())


# Settings that decide where and how to connect: while one is wrong, checking the connection
# would check something else (for `endpoint`, the default host: data the user did not send there).
CONNECTION_KEYS = frozenset({"backend", "endpoint", "urlTemplate", "apiKey", "apiKeyCommand", "headers", "model"})


def _settings_usable(settings: Settings, problems: Sequence[SettingsError], report: Report) -> bool:
    """Report every setting that cannot be used; False when the connection cannot be checked."""
    usable = True
    for problem in problems:
        message = str(problem).partition(": ")[2]
        if problem.key not in FIELDS_BY_KEY:
            report.warn(f"setting {problem.key}", message)
            continue
        report.fail(
            f"setting {problem.key}",
            message,
            SETTING_FIXES.get(problem.key, f"correct `{problem.key}` (see the settings table in the README)"),
        )
        usable = usable and problem.key not in CONNECTION_KEYS
    faulty = {problem.key for problem in problems}
    unusable = connection_problem(settings)  # also for settings built in code, not parsed
    if unusable is not None and unusable.key not in faulty:
        usable = report.fail(f"setting {unusable.key}", str(unusable).partition(": ")[2], SETTING_FIXES[unusable.key])
    return usable
