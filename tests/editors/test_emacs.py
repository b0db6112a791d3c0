"""The Emacs configurations of docs/editors.md start the real server and get its suggestion.

Each test takes the elisp block that docs/editors.md marks with `<!-- test: NAME -->`, as
written (only the endpoint URL is pointed at a fake Codestral), loads it in `emacs --batch`
with the Debian packages elpa-eglot / elpa-lsp-mode, opens a Python file, and asks for
completions at `greeting = "`. Skipped where Emacs or the package is not installed
(`apt-get install emacs-nox elpa-eglot elpa-lsp-mode`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile, Reply

pytestmark = pytest.mark.editor

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "editors.md"
EMACS = shutil.which("emacs")
ELPA = Path("/usr/share/emacs/site-lisp/elpa")
KEY = "emacs-test-key"
DOC_ENDPOINT = "https://codestral.mistral.ai"

if EMACS is None:
    pytest.skip("emacs not installed (apt-get install emacs-nox elpa-eglot elpa-lsp-mode)", allow_module_level=True)


def scripted(body: dict[str, Any]) -> Reply:
    return 'héllo wörld ☕"' if body.get("prompt", "").endswith('greeting = "') else ""


@pytest.fixture
def endpoint() -> Iterator[FakeMistral]:
    fake = FakeMistral(scripted, latency=LatencyProfile.instant(), api_key=KEY)
    with fake.run_in_thread():
        yield fake


def doc_block(name: str) -> str:
    match = re.search(rf"<!-- test: {re.escape(name)} .*?-->\s*```elisp\n(.*?)```", DOCS.read_text(), re.S)
    assert match, f"docs/editors.md has no elisp block marked `<!-- test: {name}`"
    return match.group(1)


def has_package(prefix: str) -> bool:
    return ELPA.is_dir() and any(p.name.startswith(prefix) for p in ELPA.iterdir())


COMMON = r"""
(setq debug-on-error nil inhibit-message nil)
(defun cls-fail (fmt &rest args)
  (princ (concat "FAIL: " (apply #'format fmt args) "\n") #'external-debugging-output)
  (kill-emacs 1))
(defun cls-wait (what pred seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall pred) (cls-fail "timed out waiting for %s" what))))
(package-initialize)
"""

EGLOT_DRIVER = r"""
(require 'eglot)
(setq eglot-sync-connect 30 eglot-connect-timeout 30)
(load (getenv "CLS_CONFIG") nil t)
(condition-case err
    (progn
      (find-file (getenv "CLS_FILE"))
      (unless (derived-mode-p 'python-mode) (cls-fail "not in python-mode: %s" major-mode))
      ;; eglot-ensure waits for a command loop that batch Emacs lacks: start it directly.
      (unless (eglot-current-server) (apply #'eglot (eglot--guess-contact)))
      (cls-wait "eglot to connect" (lambda () (eglot-current-server)) 30)
      (unless (eglot--server-capable :completionProvider)
        (cls-fail "the server offers no completionProvider"))
      (princ (format "server: %s\n" (plist-get (eglot--server-info (eglot-current-server)) :name)))
      (goto-char (point-max))
      (insert "greeting = \"")
      (eglot--signal-textDocument/didChange)
      (let* ((capf (eglot-completion-at-point))
             (candidates (all-completions (buffer-substring (nth 0 capf) (nth 1 capf)) (nth 2 capf))))
        (princ (format "candidates: %S\n" (mapcar #'substring-no-properties candidates)))
        (unless (seq-some (lambda (c) (string-match-p "héllo wörld" c)) candidates)
          (cls-fail "no candidate with the suggestion: %S" candidates)))
      (princ "PASS eglot\n")
      (kill-emacs 0))
  (error (cls-fail "%S" err)))
"""

LSP_MODE_DRIVER = r"""
(require 'lsp-mode)
(setq lsp-session-file (expand-file-name "lsp-session" (getenv "CLS_DIR"))
      lsp-enable-file-watchers nil lsp-restart 'ignore lsp-keep-workspace-alive nil
      lsp-auto-guess-root nil lsp-warn-no-matched-clients nil
      lsp-client-packages nil)              ; only the client the config registers
(load (getenv "CLS_CONFIG") nil t)
(condition-case err
    (progn
      (lsp-workspace-folders-add (getenv "CLS_DIR"))
      (find-file (getenv "CLS_FILE"))
      (unless (derived-mode-p 'python-mode) (cls-fail "not in python-mode: %s" major-mode))
      (lsp)
      (cls-wait "lsp-mode to initialize codestral-ls"
                (lambda () (seq-some (lambda (ws) (eq (lsp--workspace-status ws) 'initialized))
                                     (lsp-workspaces)))
                30)
      (let ((ids (mapcar (lambda (ws) (lsp--client-server-id (lsp--workspace-client ws))) (lsp-workspaces))))
        (unless (memq 'codestral-ls ids) (cls-fail "codestral-ls not among %S" ids)))
      (goto-char (point-max))
      (insert "greeting = \"")
      (let* ((capf (lsp-completion-at-point))
             (candidates (all-completions (buffer-substring (nth 0 capf) (nth 1 capf)) (nth 2 capf))))
        (princ (format "candidates: %S\n" (mapcar #'substring-no-properties candidates)))
        (unless (seq-some (lambda (c) (string-match-p "héllo wörld" c)) candidates)
          (cls-fail "no candidate with the suggestion: %S" candidates)))
      (princ "PASS lsp-mode\n")
      (kill-emacs 0))
  (error (cls-fail "%S" err)))
"""


def run_emacs(name: str, driver: str, tmp_path: Path, endpoint: FakeMistral) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.el"
    config.write_text(";; -*- coding: utf-8 -*-\n" + doc_block(name).replace(DOC_ENDPOINT, endpoint.base_url))
    script = tmp_path / "driver.el"
    script.write_text(";; -*- coding: utf-8; lexical-binding: t -*-\n" + COMMON + driver, encoding="utf-8")
    source = tmp_path / "hello.py"
    source.write_text("")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY")},
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CODESTRAL_API_KEY": KEY,
        "CLS_CONFIG": str(config),
        "CLS_FILE": str(source),
        "CLS_DIR": str(tmp_path),
    }
    proc = subprocess.run(
        [str(EMACS), "--batch", "-l", str(script)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, f"emacs ({name}) failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    assert f"PASS {name}" in proc.stdout, proc.stdout + proc.stderr[-4000:]
    return proc


@pytest.mark.skipif(not has_package("eglot"), reason="elpa-eglot not installed")
def test_eglot_config_from_the_docs_starts_the_server_and_completes(tmp_path: Path, endpoint: FakeMistral) -> None:
    assert shutil.which("codestral-ls", path=str(Path(sys.executable).parent)), "codestral-ls not installed"
    run_emacs("eglot", EGLOT_DRIVER, tmp_path, endpoint)
    assert any(r.body and r.body.get("prompt", "").endswith('greeting = "') for r in endpoint.requests)


@pytest.mark.skipif(not has_package("lsp-mode"), reason="elpa-lsp-mode not installed")
def test_lsp_mode_config_from_the_docs_starts_the_server_and_completes(tmp_path: Path, endpoint: FakeMistral) -> None:
    assert shutil.which("codestral-ls", path=str(Path(sys.executable).parent)), "codestral-ls not installed"
    run_emacs("lsp-mode", LSP_MODE_DRIVER, tmp_path, endpoint)
    assert any(r.body and r.body.get("prompt", "").endswith('greeting = "') for r in endpoint.requests)
