"""What /proc says about the machine and a process: CPU model and load, CPU time, peak memory."""

from __future__ import annotations

import os
from pathlib import Path


def machine() -> str:
    """nproc, CPU model and load average, for the record (other work on the machine skews timings)."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = ["?"]
    return f"{os.cpu_count()} cores, {model}, load average {' '.join(load)}"


def cpu_seconds(pid: int | None) -> float:
    """CPU time `pid` has run so far, all threads: the scheduler's exact figure from
    /proc/PID/task/*/schedstat (tick-sampled utime+stime misreport processes that wake on timers)."""
    try:
        tasks = Path(f"/proc/{pid}/task")
        return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks.iterdir()) / 1e9
    except (OSError, ValueError, IndexError):
        return float("nan")


def peak_rss_mb(pid: int | None) -> tuple[float, float]:
    """(VmHWM, VmRSS) of `pid` in MB, from /proc; NaN where /proc is missing."""
    values = {"VmHWM": float("nan"), "VmRSS": float("nan")}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0]) / 1024
    except (OSError, ValueError):
        pass
    return values["VmHWM"], values["VmRSS"]
