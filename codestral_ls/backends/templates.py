"""FIM prompt templates as data: how a raw prompt is laid out for a model, and where it stops.

Backends without a `suffix` field (llama.cpp `/completion`, vLLM / LM Studio `/v1/completions`,
Ollama in raw mode) send one string built from a template. The `promptTemplate` setting picks a
built-in by name (`codestral`, `starcoder`, `qwen`, `deepseek`, `codellama`) or gives a literal
template with `{prefix}` and `{suffix}` placeholders.

Codestral's layout follows mistral-common's `encode_fim`: the suffix comes first, there is no
`[MIDDLE]`, `[SUFFIX]` is present even when the suffix is empty, and there is no literal `<s>`
(the servers add BOS themselves; a literal one risks a double BOS).
"""

from __future__ import annotations

import re

import attrs

from ..errors import SettingsError

_PLACEHOLDER = re.compile(r"\{(prefix|suffix)\}")


@attrs.frozen
class PromptTemplate:
    """A raw FIM prompt layout. `text` holds `{prefix}` and `{suffix}`; nothing else is special."""

    name: str
    text: str
    stop: tuple[str, ...]

    def render(self, prefix: str, suffix: str) -> str:
        """Fill the placeholders in one pass, so braces inside the code are never re-expanded."""
        values = {"prefix": prefix, "suffix": suffix}
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], self.text)


CODESTRAL = PromptTemplate(
    name="codestral",
    text="[SUFFIX]{suffix}[PREFIX]{prefix}",
    stop=("[PREFIX]", "[SUFFIX]", "</s>"),
)
STARCODER = PromptTemplate(
    name="starcoder",
    text="<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
    stop=("<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>", "<|endoftext|>"),
)
QWEN = PromptTemplate(
    name="qwen",
    text="<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
    stop=(
        "<|fim_prefix|>",
        "<|fim_suffix|>",
        "<|fim_middle|>",
        "<|fim_pad|>",
        "<|file_sep|>",
        "<|repo_name|>",
        "<|endoftext|>",
        "<|im_end|>",
    ),
)
DEEPSEEK = PromptTemplate(
    name="deepseek",
    text="<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>",  # noqa: RUF001
    stop=("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>", "<|EOT|>"),  # noqa: RUF001
)
CODELLAMA = PromptTemplate(
    name="codellama",
    text="<PRE> {prefix} <SUF>{suffix} <MID>",
    stop=("<PRE>", "<SUF>", "<MID>", "<EOT>", "</s>"),
)

BUILTIN: dict[str, PromptTemplate] = {t.name: t for t in (CODESTRAL, STARCODER, QWEN, DEEPSEEK, CODELLAMA)}

# Substrings of a model id that identify its family when no template is configured.
_FAMILY_HINTS: tuple[tuple[str, PromptTemplate], ...] = (
    ("codestral", CODESTRAL),
    ("qwen", QWEN),
    ("starcoder", STARCODER),
    ("deepseek", DEEPSEEK),
    ("codellama", CODELLAMA),
    ("code-llama", CODELLAMA),
)

# `promptTemplate: "infill"` selects llama.cpp's native `/infill` route instead of a raw prompt.
INFILL = "infill"


def template_for_model(model: str) -> PromptTemplate:
    """The built-in template for a model id's family; Codestral's when the family is unknown."""
    lowered = model.lower()
    for hint, template in _FAMILY_HINTS:
        if hint in lowered:
            return template
    return CODESTRAL


def resolve_template(setting: str | None, model: str = "") -> PromptTemplate:
    """The template for the `promptTemplate` setting: unset, a built-in name, or a literal.

    A literal's stop strings are its own markers (the text around the placeholders): a model
    that starts writing them has finished the middle.
    """
    if setting is None or not setting.strip():
        return template_for_model(model)
    named = BUILTIN.get(setting.strip().lower())
    if named is not None:
        return named
    if setting.strip().lower() == INFILL:
        raise SettingsError("promptTemplate", '"infill" is only for the llamacpp backend')
    if "{prefix}" not in setting:
        known = ", ".join(sorted(BUILTIN))
        raise SettingsError(
            "promptTemplate",
            f"must name a built-in template ({known}) or contain {{prefix}} and {{suffix}}",
        )
    for template in BUILTIN.values():
        if template.text == setting:
            return template
    markers = tuple(dict.fromkeys(part.strip() for part in _PLACEHOLDER.split(setting)[::2] if part.strip()))
    return PromptTemplate(name="custom", text=setting, stop=markers)


def merge_stops(*groups: tuple[str, ...]) -> list[str]:
    """Stop strings from several sources, in order, without duplicates or empties."""
    return list(dict.fromkeys(stop for group in groups for stop in group if stop))
