"""Post-processing: turn raw model output into text that fits the document exactly.

Entry points used by the pipeline (keep these names and signatures):

- `plan_completion(ctx, multiline_setting, max_tokens) -> CompletionPlan`: single- or
  multi-line, stop sequences, token budget, decided before the request is sent.
- `SuggestionFilter(ctx, plan)`: fed the stream chunk by chunk; `feed()` returns True as soon as
  the suggestion is complete (the caller then closes the HTTP stream); `finish()` returns the
  cleaned `Suggestion`, or None when nothing is worth showing.
"""

from .filter import Stop, Suggestion, SuggestionFilter
from .multiline import CompletionPlan, plan_completion

__all__ = ["CompletionPlan", "Stop", "Suggestion", "SuggestionFilter", "plan_completion"]
