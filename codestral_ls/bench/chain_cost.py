"""The post-processing chain's cost per suggestion, measured one way for every benchmark.

One sample is what the server runs for one suggestion (`model_call.py`): `plan_completion`, a
`SuggestionFilter`, every chunk of the stream fed until the filter says the suggestion is
complete, then `finish()`. It is timed with `time.perf_counter_ns`, back to back over inputs
prepared beforehand (contexts cut, chunks split), so nothing else the benchmark does (judging,
loading files) runs between samples. Garbage collection stays on, as in the server; the
benchmark's own data (its corpus, the prepared inputs) is frozen out of the collector first,
so a collection costs what it would cost the server, not a walk over the whole corpus.

Beside the wall time, each sample's thread CPU time (what the chain itself used, whoever else
ran), and for the whole loop the process CPU time against the wall time: on a shared machine
other work holds the CPU now and then, and that share, with the load average, says how much.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence

import attrs

from ..context import FimContext
from ..core import Suggestion
from ..postprocess import SuggestionFilter, plan_completion

# Issue 9's budget: the chain must stay under 1 ms p99 per suggestion with 8 KB prefixes.
COST_PREFIX_CHARS = 8192
COST_TARGET_P99_US = 1000.0


@attrs.frozen
class ChainInput:
    """One suggestion to post-process: the context and the stream as the API would send it for
    the plan this context gets (stop sequences and token budget already applied)."""

    ctx: FimContext
    chunks: tuple[str, ...]
    multiline: str = "auto"
    max_tokens: int = 256


def run_chain(item: ChainInput) -> tuple[SuggestionFilter, Suggestion | None]:
    """The server's post-processing for one suggestion: the filter (how much it read, which
    rule stopped it) and the suggestion."""
    chain = SuggestionFilter(item.ctx, plan_completion(item.ctx, item.multiline, item.max_tokens))
    for chunk in item.chunks:
        if chain.feed(chunk):
            break
    return chain, chain.finish()


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@attrs.frozen
class ChainCost:
    """Per suggestion (µs, in input order, round after round): wall time and the thread's CPU
    time; for the whole timed loop: process CPU time, wall time, and the load average."""

    samples_us: list[float]
    cpu_samples_us: list[float]
    cpu_s: float
    wall_s: float
    load: float

    @property
    def p50(self) -> float:
        return percentile(self.samples_us, 0.5)

    @property
    def p99(self) -> float:
        return percentile(self.samples_us, 0.99)

    def line(self, what: str) -> str:
        """One line for the report: wall percentiles, CPU percentiles, then how much of the
        loop's wall time was this process's CPU (the rest, other work held the CPU)."""
        if not self.samples_us:
            return f"chain cost per suggestion ({what}): no suggestion"
        verdict = "ok" if self.p99 <= COST_TARGET_P99_US else "above target"
        share = 100 * self.cpu_s / self.wall_s if self.wall_s else 0.0
        cpu = self.cpu_samples_us
        return (
            f"chain cost per suggestion ({what}; plan + filter + every chunk + finish), "
            f"{len(self.samples_us)} suggestions: wall p50 {self.p50:.0f} µs, p99 {self.p99:.0f} µs, "
            f"max {max(self.samples_us):.0f} µs (perf_counter; target p99 <= {COST_TARGET_P99_US:.0f} µs: "
            f"{verdict}); CPU p50 {percentile(cpu, 0.5):.0f} µs, p99 {percentile(cpu, 0.99):.0f} µs "
            f"(thread time); process CPU {self.cpu_s:.2f} s in {self.wall_s:.2f} s wall ({share:.0f}%), "
            f"load average {self.load:.1f}"
        )


def measure(inputs: Sequence[ChainInput], repeat: int = 1) -> ChainCost:
    """Time `run_chain` on every input, `repeat` rounds, after one untimed warm-up round."""
    for item in inputs:
        run_chain(item)  # imports, regex caches, the allocator's pools
    samples: list[float] = []
    cpu_samples: list[float] = []
    wall_clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    gc.collect()
    gc.freeze()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            for item in inputs:
                started, started_cpu = wall_clock(), cpu_clock()
                run_chain(item)
                cpu_samples.append((cpu_clock() - started_cpu) / 1000)
                samples.append((wall_clock() - started) / 1000)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.unfreeze()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return ChainCost(samples_us=samples, cpu_samples_us=cpu_samples, cpu_s=cpu, wall_s=wall, load=load)
