"""privacy: which files never leave the machine (default and user exclude globs against URIs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codestral_ls.config import DEFAULT_EXCLUDE
from codestral_ls.privacy import excluded_by, glob_to_regex, uri_to_path


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        pytest.param("file:///home/u/a.py", "/home/u/a.py", id="file-posix"),
        pytest.param("file:///home/u/My%20Project/a%2Bb.py", "/home/u/My Project/a+b.py", id="percent-encoded"),
        pytest.param("file:///home/u/%E4%B8%AD%E6%96%87.py", "/home/u/中文.py", id="percent-encoded-utf8"),
        pytest.param("file:///home/u/%2Eenv", "/home/u/.env", id="percent-encoded-dot"),
        pytest.param("file:///c%3A/Users/me/a.py", "/c:/Users/me/a.py", id="vscode-windows-drive"),
        pytest.param("file:///C:/Users/me/a.py", "/C:/Users/me/a.py", id="windows-drive-unencoded"),
        pytest.param("file:///c%3A%5CUsers%5Cme%5Ca.py", "/c:/Users/me/a.py", id="windows-encoded-backslashes"),
        pytest.param("file://server/share/a.py", "/share/a.py", id="unc-host"),
        pytest.param("C:\\Users\\me\\a.py", "/Users/me/a.py", id="bare-windows-path"),
        pytest.param("/home/u/a%20b.py", "/home/u/a%20b.py", id="bare-posix-path-not-unquoted"),
        pytest.param("untitled:Untitled-1", "Untitled-1", id="untitled"),
        pytest.param("untitled:/home/u/new.py", "/home/u/new.py", id="untitled-with-path"),
        pytest.param("vscode-notebook-cell:/home/u/nb.ipynb#W0sZmlsZQ%3D%3D", "/home/u/nb.ipynb", id="notebook-cell"),
    ],
)
def test_uri_to_path(uri: str, path: str) -> None:
    assert uri_to_path(uri) == path


SECRET_FILES = [
    # (uri, the default glob that catches it)
    ("file:///home/u/proj/.env", "**/.env"),
    ("file:///.env", "**/.env"),
    ("file:///home/u/proj/.env.local", "**/.env.*"),
    ("file:///home/u/proj/.env.production", "**/.env.*"),
    ("file:///home/u/proj/config/prod.env", "**/*.env"),
    ("file:///home/u/.ssh/id_rsa", "**/id_rsa*"),
    ("file:///home/u/.ssh/id_rsa.pub", "**/id_rsa*"),
    ("file:///home/u/.ssh/id_ed25519.pub", "**/id_ed25519*"),
    ("file:///home/u/.ssh/id_ecdsa", "**/id_ecdsa*"),
    ("file:///etc/ssl/server.pem", "**/*.pem"),
    ("file:///etc/ssl/private/server.key", "**/*.key"),
    ("file:///home/u/cert.p12", "**/*.p12"),
    ("file:///home/u/.aws/credentials", "**/.aws/**"),
    ("file:///home/u/.docker/config.json", "**/.docker/config.json"),
    ("file:///home/u/.netrc", "**/.netrc"),
    ("file:///home/u/.npmrc", "**/.npmrc"),
    ("file:///home/u/.pypirc", "**/.pypirc"),
    ("file:///home/u/.git-credentials", "**/.git-credentials"),
    ("file:///home/u/proj/credentials.json", "**/credentials.json"),
    ("file:///home/u/proj/gcp-credentials-dev.json", "**/*credentials*.json"),
    ("file:///home/u/proj/service-account-prod.json", "**/service-account*.json"),
    ("file:///home/u/proj/k8s/secrets.yaml", "**/secrets.y*ml"),
    ("file:///home/u/proj/k8s/secrets.yml", "**/secrets.y*ml"),
    ("file:///home/u/proj/db.secret", "**/*.secret"),
    # Credential folders: every file in them, whatever its name.
    ("file:///home/u/.ssh/config", "**/.ssh/**"),
    ("file:///home/u/.ssh/authorized_keys", "**/.ssh/**"),
    ("file:///home/u/.ssh/known_hosts", "**/.ssh/**"),
    ("file:///home/u/.ssh/work-github", "**/.ssh/**"),
    ("file:///home/u/.ssh/keys/deploy", "**/.ssh/**"),
    ("file:///root/.ssh/config.d/hosts", "**/.ssh/**"),
    ("file:///home/u/.aws/config", "**/.aws/**"),
    ("file:///home/u/.aws/sso/cache/0123abcd.json", "**/.aws/**"),
    ("file:///home/u/.gnupg/private-keys-v1.d/ABCD.key", "**/*.key"),
    ("file:///home/u/.gnupg/pubring.kbx", "**/.gnupg/**"),
    ("file:///home/u/.gnupg/gpg-agent.conf", "**/.gnupg/**"),
    ("file:///home/u/.azure/msal_token_cache.json", "**/.azure/**"),
    ("file:///home/u/.config/gcloud/legacy_credentials/me@example.com/adc.json", "**/.config/gcloud/**"),
    ("file:///home/u/.config/gcloud/access_tokens.db", "**/.config/gcloud/**"),
    ("file:///home/u/.config/gcloud/application_default_credentials.json", "**/.config/gcloud/**"),
    ("file:///home/u/.password-store/.gpg-id", "**/.password-store/**"),
    # Single credential files with fixed names.
    ("file:///home/u/.kube/config", "**/.kube/config"),
    ("file:///home/u/_netrc", "**/_netrc"),
    ("file:///home/u/.config/git/credentials", "**/.config/git/credentials"),
    ("file:///home/u/.config/gh/hosts.yml", "**/.config/gh/hosts.yml"),
    ("file:///home/u/.docker/config.json", "**/.docker/config.json"),
    ("file:///home/u/.terraform.d/credentials.tfrc.json", "**/*credentials*.json"),
    ("file:///home/u/.cargo/credentials.toml", "**/.cargo/credentials*"),
    ("file:///home/u/.cargo/credentials", "**/.cargo/credentials*"),
    ("file:///home/u/.gem/credentials", "**/.gem/credentials"),
    ("file:///home/u/.m2/settings-security.xml", "**/.m2/settings-security.xml"),
    ("file:///home/u/.vault-token", "**/.vault-token"),
    ("file:///home/u/.boto", "**/.boto"),
    ("file:///home/u/.s3cfg", "**/.s3cfg"),
    ("file:///home/u/.my.cnf", "**/.my.cnf"),
    ("file:///srv/www/.htpasswd", "**/.htpasswd"),
    ("file:///home/u/proj/infra/terraform.tfstate", "**/*.tfstate"),
    ("file:///home/u/proj/infra/terraform.tfstate.backup", "**/*.tfstate.backup"),
    # Key files by extension.
    ("file:///home/u/keys/server.ppk", "**/*.ppk"),
    ("file:///home/u/keys/AuthKey_ABC123.p8", "**/*.p8"),
    ("file:///etc/krb5.keytab", "**/*.keytab"),
    ("file:///home/u/backup/secrets.tar.gpg", "**/*.gpg"),
    # Shapes of URI: percent-encoding, Windows drives and backslashes, other schemes, case.
    ("file:///home/u/My%20Project/.env", "**/.env"),
    ("file:///home/u/%2Eenv", "**/.env"),
    ("file:///c%3A/Users/me/proj/.env", "**/.env"),
    ("file:///c%3A%5CUsers%5Cme%5C.ssh%5Cid_rsa", "**/id_rsa*"),
    ("C:\\Users\\me\\proj\\server.pem", "**/*.pem"),
    ("file://fileserver/share/.aws/credentials", "**/.aws/**"),
    ("untitled:/home/u/.env", "**/.env"),
    ("file:///home/u/proj/SERVER.PEM", "**/*.pem"),
    ("file:///home/u/proj/.ENV", "**/.env"),
]

NORMAL_FILES = [
    "file:///home/u/proj/environment.py",
    "file:///home/u/proj/env.py",
    "file:///home/u/proj/env/settings.py",
    "file:///home/u/proj/dotenv_loader.py",
    "file:///home/u/proj/.envrc",
    "file:///home/u/proj/keyboard.py",
    "file:///home/u/proj/keys.py",
    "file:///home/u/proj/README.md",
    "file:///home/u/proj/pem_utils.py",
    "file:///home/u/proj/pem/reader.py",
    "file:///home/u/proj/credentials.py",
    "file:///home/u/proj/credentials.json.md",
    "file:///home/u/proj/aws/credentials.py",
    "file:///home/u/proj/secrets.py",
    "file:///home/u/proj/secret_santa.py",
    "file:///home/u/proj/service.json",
    "file:///home/u/proj/config.json",
    "file:///home/u/proj/my.env.py",
    "file:///c%3A/Users/me/proj/main.py",
    # Near misses of the credential folders and files: ordinary project code and config.
    "file:///home/u/proj/ssh/config.py",
    "file:///home/u/proj/sshd_config",
    "file:///home/u/proj/ssh_keys.py",
    "file:///home/u/proj/aws/handler.py",
    "file:///home/u/proj/.awsignore",
    "file:///home/u/proj/kube/config.go",
    "file:///home/u/proj/.kube.yaml",
    "file:///home/u/proj/deploy/kubeconfig.go",
    "file:///home/u/proj/docker/config.json",
    "file:///home/u/proj/gnupg/wrapper.c",
    "file:///home/u/.config/nvim/init.lua",
    "file:///home/u/.config/git/config",
    "file:///home/u/.config/gh/config.yml",
    "file:///home/u/proj/infra/main.tf",
    "file:///home/u/proj/tfstate.py",
    "file:///home/u/proj/gpg.py",
    "file:///home/u/proj/keytab_reader.go",
    "file:///home/u/proj/netrc.py",
    "file:///home/u/proj/.m2/settings.xml.md",
    "untitled:Untitled-1",
]


@pytest.mark.parametrize(("uri", "glob"), [pytest.param(u, g, id=u.rsplit("/", 2)[-1][-40:]) for u, g in SECRET_FILES])
def test_default_exclude_catches_secret_files(uri: str, glob: str) -> None:
    assert excluded_by(uri, DEFAULT_EXCLUDE) == glob


@pytest.mark.parametrize("uri", [pytest.param(u, id=u.rsplit("/", 1)[-1]) for u in NORMAL_FILES])
def test_default_exclude_leaves_normal_files_alone(uri: str) -> None:
    assert excluded_by(uri, DEFAULT_EXCLUDE) is None


@pytest.mark.parametrize(
    ("glob", "uri", "excluded"),
    [
        pytest.param("*.txt", "file:///home/u/notes.txt", True, id="star-ext"),
        pytest.param("*.txt", "file:///home/u/deep/er/notes.TXT", True, id="star-ext-any-folder-any-case"),
        pytest.param("*.txt", "file:///home/u/notes.txt.bak", False, id="star-ext-anchored-at-end"),
        pytest.param("*.txt", "file:///home/u/txt/notes.py", False, id="star-ext-folder-name"),
        pytest.param("secrets/**", "file:///home/u/proj/secrets/a.py", True, id="folder-globstar"),
        pytest.param("secrets/**", "file:///home/u/proj/secrets/deep/b.py", True, id="folder-globstar-deep"),
        pytest.param("secrets/**", "file:///home/u/proj/mysecrets/a.py", False, id="folder-globstar-other-folder"),
        pytest.param("secrets/**", "file:///home/u/proj/secrets.py", False, id="folder-globstar-file-of-that-name"),
        pytest.param("{a,b}.py", "file:///home/u/a.py", True, id="braces-first"),
        pytest.param("{a,b}.py", "file:///home/u/b.py", True, id="braces-second"),
        pytest.param("{a,b}.py", "file:///home/u/c.py", False, id="braces-other"),
        pytest.param("{a,b}.py", "file:///home/u/ab.py", False, id="braces-not-both"),
        pytest.param("[!x]*.py", "file:///home/u/a.py", True, id="negated-class"),
        pytest.param("[!x]*.py", "file:///home/u/ax.py", True, id="negated-class-first-char-only"),
        pytest.param("[!x]*.py", "file:///home/u/x.py", False, id="negated-class-excludes"),
        pytest.param("[!x]*.py", "file:///home/u/xa.py", False, id="negated-class-excludes-prefix"),
        pytest.param("[!x]*.py", "file:///x.py", False, id="negated-class-never-matches-separator"),
        pytest.param("[^x]*.py", "file:///x.py", False, id="caret-negated-class-never-matches-separator"),
        pytest.param("[ab]?.py", "file:///home/u/bz.py", True, id="class-and-question"),
        pytest.param("[ab]?.py", "file:///home/u/b.py", False, id="question-needs-one-char"),
        pytest.param("?.py", "file:///home/u/a/b.py", True, id="question-one-char-name"),
        pytest.param("?.py", "file:///home/u/ab.py", False, id="question-not-two"),
        pytest.param("src/*.py", "file:///home/u/proj/src/a.py", True, id="folder-star"),
        pytest.param("src/*.py", "file:///home/u/proj/src/sub/a.py", False, id="folder-star-not-deeper"),
        pytest.param("src/**/*.py", "file:///home/u/proj/src/a/b/c.py", True, id="globstar-middle"),
        pytest.param("src/**/*.py", "file:///home/u/proj/src/c.py", True, id="globstar-middle-zero-folders"),
        pytest.param("a[b.py", "file:///home/u/a[b.py", True, id="unclosed-bracket-is-literal"),
        pytest.param("a{b.py", "file:///home/u/a{b.py", True, id="unclosed-brace-is-literal"),
        pytest.param("a+b.py", "file:///home/u/a%2Bb.py", True, id="regex-chars-are-literal"),
        pytest.param("a+b.py", "file:///home/u/aab.py", False, id="plus-is-not-repetition"),
        pytest.param("My Project/**", "file:///home/u/My%20Project/x.py", True, id="space-in-folder"),
        pytest.param("/home/u/proj/*.py", "file:///home/u/proj/a.py", True, id="absolute-glob"),
        pytest.param("*.py", "untitled:Untitled-1", False, id="untitled-not-a-py"),
        pytest.param("Untitled-*", "untitled:Untitled-1", True, id="untitled-by-name"),
    ],
)
def test_user_globs(glob: str, uri: str, excluded: bool) -> None:
    assert excluded_by(uri, [glob]) == (glob if excluded else None)
    # User globs come on top of the defaults: a normal file is caught only by the user's glob.
    assert excluded_by(uri, (*DEFAULT_EXCLUDE, glob)) == (glob if excluded else None)


@pytest.mark.parametrize(
    ("globs", "expected"),
    [
        pytest.param([], None, id="no-globs"),
        pytest.param(["", "*.py"], "*.py", id="empty-glob-skipped"),
        pytest.param(["*.md", "*.py", "a.*"], "*.py", id="first-match-wins"),
        pytest.param(["a.*", "*.py"], "a.*", id="order-matters"),
    ],
)
def test_excluded_by_reports_the_first_matching_glob(globs: list[str], expected: str | None) -> None:
    assert excluded_by("file:///home/u/a.py", globs) == expected


def test_glob_regex_is_cached() -> None:
    assert glob_to_regex("*.cached") is glob_to_regex("*.cached")


def test_readme_lists_every_default_exclude() -> None:
    """The README tells users which files are never sent: it must not drift from DEFAULT_EXCLUDE."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Files matching these globs are never sent") :]
    paragraph = paragraph[: paragraph.index("\n\n")]
    listed = re.findall(r"`([^`]+)`", paragraph.split(":", 1)[1])
    assert listed == [glob.removeprefix("**/") for glob in DEFAULT_EXCLUDE]
