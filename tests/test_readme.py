"""The README's settings table is the user's reference: it must list every setting with its
real default, so it cannot drift from `config.Settings`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from codestral_ls.config import Settings, camel

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
ROWS = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", README, flags=re.MULTILINE))


def default_of(field: attrs.Attribute[Any]) -> Any:
    # attrs.Factory is typed as a function in attrs' stubs, so it is recognised by its `factory`.
    factory = getattr(field.default, "factory", None)
    value = factory() if callable(factory) else field.default
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("field", attrs.fields(Settings), ids=lambda f: camel(f.name))
def test_every_setting_is_in_the_readme_with_its_default(field: attrs.Attribute[Any]) -> None:
    key = camel(field.name)
    assert key in ROWS, f"README's settings table lacks `{key}`"
    assert json.loads(ROWS[key]) == default_of(field)


def test_the_readme_lists_no_setting_that_does_not_exist() -> None:
    known = {camel(field.name) for field in attrs.fields(Settings)}
    assert set(ROWS) <= known
