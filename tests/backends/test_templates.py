"""FIM prompt templates: Codestral's token layout (spec §2) and the template setting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from codestral_ls.backends.templates import (
    BUILTIN,
    CODELLAMA,
    CODESTRAL,
    DEEPSEEK,
    QWEN,
    STARCODER,
    merge_stops,
    resolve_template,
    template_for_model,
)
from codestral_ls.errors import SettingsError

PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))"


def test_codestral_layout_matches_mistral_common() -> None:
    # mistral-common: [BOS] [SUFFIX] suffix [PREFIX] prefix; the servers add BOS themselves.
    assert CODESTRAL.render(PREFIX, SUFFIX) == "[SUFFIX]\n\nprint(add(1, 2))[PREFIX]def add(a, b):\n    "


@pytest.mark.parametrize(
    ("prefix", "suffix", "expected"),
    [
        ("x = ", "", "[SUFFIX][PREFIX]x = "),  # [SUFFIX] even when the suffix is empty
        ("", "tail", "[SUFFIX]tail[PREFIX]"),
        ("", "", "[SUFFIX][PREFIX]"),
        (" a", " b", "[SUFFIX] b[PREFIX] a"),  # no space added after [PREFIX] (unlike Ollama's)
    ],
)
def test_codestral_edge_cases(prefix: str, suffix: str, expected: str) -> None:
    assert CODESTRAL.render(prefix, suffix) == expected


def test_codestral_prompt_has_no_middle_and_no_literal_bos() -> None:
    prompt = CODESTRAL.render(PREFIX, SUFFIX)
    assert "[MIDDLE]" not in prompt and "<s>" not in prompt
    assert prompt.index("[SUFFIX]") < prompt.index("[PREFIX]")  # suffix first (SPM order)
    assert prompt.endswith(PREFIX)  # the model continues right after the prefix


def test_codestral_stops_on_its_markers_and_eos() -> None:
    assert set(CODESTRAL.stop) == {"[PREFIX]", "[SUFFIX]", "</s>"}


def test_braces_in_code_are_not_placeholders() -> None:
    prefix = 'f"{prefix}{x}" + "{suffix}"'
    assert CODESTRAL.render(prefix, "{}") == "[SUFFIX]{}[PREFIX]" + prefix


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (STARCODER, "<fim_prefix>P<fim_suffix>S<fim_middle>"),
        (QWEN, "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"),
        (DEEPSEEK, "<｜fim▁begin｜>P<｜fim▁hole｜>S<｜fim▁end｜>"),  # noqa: RUF001
        (CODELLAMA, "<PRE> P <SUF>S <MID>"),
    ],
)
def test_other_families(template: object, expected: str) -> None:
    assert BUILTIN[template.name].render("P", "S") == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("codestral-latest", "codestral"),
        ("mistralai/Codestral-22B-v0.1", "codestral"),
        ("qwen2.5-coder:7b", "qwen"),
        ("bigcode/starcoder2-15b", "starcoder"),
        ("deepseek-coder-v2:16b", "deepseek"),
        ("codellama:7b-code", "codellama"),
        ("some-unknown-model", "codestral"),
    ],
)
def test_family_from_model_id(model: str, family: str) -> None:
    assert template_for_model(model).name == family


def test_setting_names_a_builtin_or_gives_a_literal() -> None:
    assert resolve_template(None, "qwen2.5-coder") is QWEN
    assert resolve_template("StarCoder", "codestral") is STARCODER
    assert resolve_template("[SUFFIX]{suffix}[PREFIX]{prefix}") is CODESTRAL
    custom = resolve_template("<PRE>{prefix}<SUF>{suffix}<MID>")
    assert custom.name == "custom"
    assert custom.render("a", "b") == "<PRE>a<SUF>b<MID>"
    assert custom.stop == ("<PRE>", "<SUF>", "<MID>")


@pytest.mark.parametrize("setting", ["nonsense", "{suffix} only", "infill"])
def test_bad_settings_name_the_setting(setting: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_template(setting)
    assert caught.value.key == "promptTemplate"


def test_merge_stops_keeps_order_and_drops_duplicates() -> None:
    assert merge_stops(("\n\n", "[PREFIX]"), CODESTRAL.stop, ("",)) == ["\n\n", "[PREFIX]", "[SUFFIX]", "</s>"]


# ---- mistral-common as the oracle (its own Tekken tokenizer file; no download needed) -------

ORACLE_CASES = [
    (PREFIX, SUFFIX),
    ("x = ", ""),
    ("", "tail()\n"),
    ("", ""),
    ("    if a:\n        ", "\n    return b\n"),
]


@pytest.fixture(scope="module")
def tekken() -> Any:
    pytest.importorskip("mistral_common", reason="mistral-common is the FIM layout oracle")
    import mistral_common
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    data = Path(mistral_common.__file__).parent / "data" / "tekken_240911.json"
    if not data.exists():
        pytest.skip("this mistral-common ships no Tekken tokenizer file")
    return MistralTokenizer.from_file(str(data))


def fim_tokens(tokenizer: Any, prefix: str, suffix: str) -> list[int]:
    from mistral_common.protocol.fim.request import FIMRequest

    return list(tokenizer.encode_fim(FIMRequest(prompt=prefix, suffix=suffix)).tokens)


@pytest.mark.parametrize(("prefix", "suffix"), ORACLE_CASES)
def test_text_equals_mistral_common_encode_fim_without_bos(tekken: Any, prefix: str, suffix: str) -> None:
    from mistral_common.tokens.tokenizers.base import SpecialTokenPolicy

    inner = tekken.instruct_tokenizer.tokenizer
    tokens = fim_tokens(tekken, prefix, suffix)
    expected = inner.decode(tokens, special_token_policy=SpecialTokenPolicy.KEEP)
    assert expected == "<s>" + CODESTRAL.render(prefix, suffix)


@pytest.mark.parametrize(("prefix", "suffix"), ORACLE_CASES)
def test_tokens_equal_encode_fim_when_a_server_parses_the_markers(tekken: Any, prefix: str, suffix: str) -> None:
    # What llama.cpp / vLLM do with our text: BOS, then each [MARKER] as its special token and
    # every fragment between them encoded as plain text.
    inner = tekken.instruct_tokenizer.tokenizer
    markers = {name: inner.get_special_token(name) for name in ("[SUFFIX]", "[PREFIX]")}
    tokens = [inner.bos_id]
    for part in re.split(r"(\[SUFFIX\]|\[PREFIX\])", CODESTRAL.render(prefix, suffix)):
        if part in markers:
            tokens.append(markers[part])
        elif part:
            tokens.extend(inner.encode(part, bos=False, eos=False))
    assert tokens == fim_tokens(tekken, prefix, suffix)
    assert inner.get_special_token("[MIDDLE]") not in tokens
