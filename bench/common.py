"""What every benchmark shares: the baseline, the machine, and how figures print.

Every figure is printed beside the machine's load and as a ratio to the
baseline: the raw Ed25519 verify rate of ``cryptography`` in one process,
measured in the same run. Other processes may share the machine, so each
figure is the best (or the median) of several repeats.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

BASELINE_MESSAGE_BYTES = 500
BASELINE_VERIFIES = 3000
CODE_UNDER_TEST = ("ledger", "verify", "schemas", "issuers", "passport")


def load() -> float:
    """The machine's one-minute load average."""
    return os.getloadavg()[0]


def cpu_model() -> str:
    """The CPU model as /proc/cpuinfo names it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def verify_rate(*, repeats: int) -> tuple[float, float]:
    """Best rates of Ed25519PublicKey.verify, one process: per second, per CPU-second.

    Over a 500-byte message.
    """
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = os.urandom(BASELINE_MESSAGE_BYTES)
    signature = key.sign(message)
    best, best_cpu = 0.0, 0.0
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(BASELINE_VERIFIES):
            public.verify(signature, message)
        best = max(best, BASELINE_VERIFIES / (time.perf_counter() - start))
        best_cpu = max(best_cpu, BASELINE_VERIFIES / (time.process_time() - cpu))
    return best, best_cpu


@dataclass
class Baseline:
    """The verify rate measured at the start and at the end of a run."""

    rates: list[float] = field(default_factory=list)
    cpu_rates: list[float] = field(default_factory=list)

    def measure(self, *, repeats: int = 5) -> float:
        """Measure once more and print it; the best measurement is the baseline."""
        rate, cpu_rate = verify_rate(repeats=repeats)
        self.rates.append(rate)
        self.cpu_rates.append(cpu_rate)
        print(
            f"baseline: Ed25519 verify (cryptography, 1 process, "
            f"{BASELINE_MESSAGE_BYTES}-byte message) {rate:,.0f}/s, "
            f"{cpu_rate:,.0f} per CPU-second  load {load():.2f}",
            flush=True,
        )
        return rate

    @property
    def rate(self) -> float:
        """The highest rate seen, so that every ratio is the conservative one."""
        return max(self.rates)

    @property
    def cpu_rate(self) -> float:
        """The highest rate per CPU-second seen; other processes hardly change it."""
        return max(self.cpu_rates)


def revision() -> str:
    """The commit the code under test comes from, marked when it has local edits."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        edited = subprocess.run(
            ["git", "status", "--porcelain", "--", *CODE_UNDER_TEST],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"{commit} with local edits" if edited else commit


def header(title: str, engine_name: str) -> None:
    """Print what ran where: benchmark, engine, code, CPU, cores, Python."""
    print(
        f"== {title} on {engine_name} | code {revision()} | {cpu_model()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )


def rate_line(label: str, rate: float, baseline: Baseline, *, unit: str) -> str:
    """A throughput figure with its ratio to the baseline and the load now."""
    return (
        f"{label}: {rate:,.0f} {unit}/s = {rate / baseline.rate:.2f}x baseline  "
        f"load {load():.2f}"
    )


def cpu_line(label: str, cpu_seconds: float, baseline: Baseline, *, unit: str) -> str:
    """A CPU cost per item, as a rate per CPU-second and in verify-times.

    Compared with the baseline's CPU-time rate, not its wall-clock rate: CPU
    time hardly changes with what else runs on the machine.
    """
    return (
        f"{label}: {cpu_seconds * 1e6:,.0f} us CPU per {unit} = "
        f"{cpu_seconds * baseline.cpu_rate:.2f} verify-times; "
        f"{1 / cpu_seconds:,.0f} {unit}s per CPU-second = "
        f"{1 / cpu_seconds / baseline.cpu_rate:.2f}x the baseline's "
        f"{baseline.cpu_rate:,.0f}  load {load():.2f}"
    )


def best_of(
    repeats: int, run: Callable[[], float], *, label: str
) -> tuple[float, list[float]]:
    """Run ``run`` (which returns a rate) ``repeats`` times; the best and all."""
    rates = []
    for attempt in range(1, repeats + 1):
        rate = run()
        rates.append(rate)
        print(f"  {label} run {attempt}: {rate:,.0f}/s  load {load():.2f}", flush=True)
    return max(rates), rates


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(f"bench: stopped by signal {signum}")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def arguments(description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes: the database and the repeats.

    Also turns SIGTERM into an exit, so that a stopped run still drops its
    database.
    """
    signal.signal(signal.SIGTERM, _exit)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--db",
        default="sqlite",
        help="'sqlite' (a fresh file in a temporary directory, the default), "
        "sqlite:///NEW_FILE, or a postgresql:// URL in which a fresh schema is "
        "made and dropped afterwards",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure")
    parser.add_argument(
        "--batch", type=int, default=1000, help="events per appended batch"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run once under cProfile and print where the time goes",
    )
    return parser
