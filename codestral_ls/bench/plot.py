"""The economy plot: pause-to-suggestion latency distribution and requests per session.

matplotlib when it is installed (`pip install codestral-ls[bench]`), else a hand-written SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]


def plot_economy(rows: Sequence[dict[str, Any]], labels: Sequence[str], out: Path) -> Path:
    sessions = list(dict.fromkeys(row["session"] for row in rows))
    latencies = {
        label: sorted(v for r in rows if r["contender"] == label for v in r["pause_to_visible_ms"]) for label in labels
    }
    requests = {label: [_cell(rows, label, s, "requests") for s in sessions] for label in labels}
    cancelled = {label: [_cell(rows, label, s, "cancelled") for s in sessions] for label in labels}
    pauses = {label: sum(r["pauses"] for r in rows if r["contender"] == label) for label in labels}
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        path = out / "economy.svg"
        path.write_text(_svg(sessions, latencies, requests))
        return path
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for index, label in enumerate(labels):
        values = latencies[label]
        if values:
            total = max(1, pauses[label])
            left.step(
                [0.0, *values],
                [0.0, *((i + 1) / total for i in range(len(values)))],
                where="post",
                label=f"{label} ({len(values)}/{total} pauses)",
                color=COLOURS[index % len(COLOURS)],
            )
    left.set_xlabel("time from the start of a pause to a visible suggestion (ms)")
    left.set_ylabel("share of pauses (the rest: nothing shown)")
    left.set_ylim(0, 1.02)
    left.set_title("Pause to suggestion (CDF)")
    left.grid(alpha=0.3)
    left.legend()
    width = 0.8 / max(1, len(labels))
    for index, label in enumerate(labels):
        xs = [i + (index - (len(labels) - 1) / 2) * width for i in range(len(sessions))]
        colour = COLOURS[index % len(COLOURS)]
        done = [n - c for n, c in zip(requests[label], cancelled[label], strict=True)]
        right.bar(xs, done, width, label=label, color=colour)
        right.bar(
            xs, cancelled[label], width, bottom=done, color=colour, alpha=0.35, hatch="//", label=f"{label}: cancelled"
        )
    right.set_xticks(range(len(sessions)))
    right.set_xticklabels(sessions, rotation=20, ha="right", fontsize=8)
    right.set_ylabel("backend requests (hatched: cancelled)")
    right.set_title("Backend requests per session")
    right.grid(axis="y", alpha=0.3)
    right.legend()
    figure.tight_layout()
    path = out / "economy.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _cell(rows: Sequence[dict[str, Any]], label: str, session: str, key: str) -> int:
    return next((int(r[key]) for r in rows if r["contender"] == label and r["session"] == session), 0)


def _svg(sessions: Sequence[str], latencies: dict[str, list[float]], requests: dict[str, list[int]]) -> str:
    """Two panels by hand: latency CDF polylines and grouped request bars."""
    w, h, pad = 520, 320, 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{h}" font-family="sans-serif" '
        'font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    top = max([v for vs in latencies.values() for v in vs] or [1.0])
    parts.append(f'<text x="{pad}" y="20">Pause to suggestion (CDF), 0..{top:.0f} ms</text>')
    parts.append(f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" fill="none" stroke="#999"/>')
    for index, (label, values) in enumerate(latencies.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = " ".join(
            f"{pad + v / top * (w - 2 * pad):.1f},{h - pad - (i + 1) / len(values) * (h - 2 * pad):.1f}"
            for i, v in enumerate(values)
        )
        if points:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        parts.append(f'<text x="{pad + 10}" y="{pad + 15 + 14 * index}" fill="{colour}">{escape(label)}</text>')
    most = max([n for ns in requests.values() for n in ns] or [1])
    x0 = w + pad
    parts.append(f'<text x="{x0}" y="20">Backend requests per session (max {most})</text>')
    group = (w - 2 * pad) / max(1, len(sessions))
    bar = group * 0.8 / max(1, len(requests))
    for index, (label, counts) in enumerate(requests.items()):
        colour = COLOURS[index % len(COLOURS)]
        for s, count in enumerate(counts):
            height = count / most * (h - 2 * pad)
            x = x0 + s * group + index * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{h - pad - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{escape(label)}: {count}</title></rect>'
            )
        parts.append(f'<text x="{x0 + 10}" y="{pad + 15 + 14 * index}" fill="{colour}">{escape(label)}</text>')
    for s, name in enumerate(sessions):
        parts.append(f'<text x="{x0 + s * group:.1f}" y="{h - pad + 14}" font-size="9">{escape(name[:14])}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
