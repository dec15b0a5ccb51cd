"""Wall time and peak resident memory of a command's whole process tree (python, JVM, children).

The tree is found through `/proc/<pid>/stat` parent ids and its RSS summed from `/proc/<pid>/statm`,
sampled every `interval` seconds while the command runs (Linux only; no psutil needed).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    peak_rss_mib: float
    returncode: int
    output: str


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def tree_rss_bytes(root: int) -> int:
    """RSS of `root` and all its descendants, in bytes (processes that vanish mid-scan count 0)."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    return total


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    interval: float = 0.1,
    timeout: float = 1800,
) -> Measurement:
    """Run `command`, sampling the tree's RSS; its stdout and stderr are captured together."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_bytes(process.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        output += f"\nbench: killed after {timeout:.0f} s"
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    return Measurement(round(wall, 2), round(peak / MIB, 1), process.returncode, output)


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
