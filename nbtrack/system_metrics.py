"""System metrics of a run, sampled in a background thread under MLflow's ``system/...`` names.

``start_run(log_system_metrics=True)``, :func:`enable_system_metrics_logging` (or
``$MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING`` / ``$NBTRACK_ENABLE_SYSTEM_METRICS_LOGGING``) and
``%%track_run --system`` turn it on. Every ``interval`` seconds (default 10, MLflow's;
:func:`set_system_metrics_sampling_interval` or ``$MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL`` /
``$NBTRACK_SYSTEM_METRICS_SAMPLING_INTERVAL``) one sample is logged at the next step:

- ``system/cpu_utilization_percentage`` (whole machine, since the previous sample),
  ``system/system_memory_usage_megabytes`` and ``..._percentage``;
- ``system/disk_usage_percentage``, ``system/disk_usage_megabytes``,
  ``system/disk_available_megabytes`` (the root file system);
- ``system/network_receive_megabytes`` / ``..._transmit_megabytes`` since sampling began;
- ``system/gpu_<i>_utilization_percentage``, ``..._memory_usage_megabytes`` /
  ``..._percentage``, ``..._power_usage_watts`` / ``..._percentage`` where NVML (``pynvml``)
  finds GPUs.

On Linux the numbers come from ``/proc`` and ``statvfs`` (no dependency); elsewhere ``psutil``
is used if installed (``pip install nbtrack[system]``: optional because Linux needs none of it).
Sampling never breaks training: a failing probe is dropped with one warning.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .entities import Metric
from .errors import InvalidParameterError

if TYPE_CHECKING:
    from .client import TrackingClient

__all__ = [
    "enable_system_metrics_logging",
    "disable_system_metrics_logging",
    "set_system_metrics_sampling_interval",
    "get_system_metrics_sampling_interval",
    "SystemSampler",
    "SystemMetricsMonitor",
]

log = logging.getLogger(__name__)

PREFIX = "system/"
DEFAULT_INTERVAL = 10.0
ENABLE_ENVS = ("NBTRACK_ENABLE_SYSTEM_METRICS_LOGGING", "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING")
INTERVAL_ENVS = ("NBTRACK_SYSTEM_METRICS_SAMPLING_INTERVAL", "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL")
_MB = 1e6

_enabled: bool | None = None  # None: follow the environment
_interval: float | None = None  # None: follow the environment, else 10 s
_monitors: dict[str, SystemMetricsMonitor] = {}
_monitors_lock = threading.Lock()


# -- switches -----------------------------------------------------------------------------
def enable_system_metrics_logging() -> None:
    """Log system metrics for every run started from now on (unless ``log_system_metrics=False``)."""
    global _enabled
    _enabled = True


def disable_system_metrics_logging() -> None:
    """Stop logging system metrics by default (``start_run(log_system_metrics=True)`` still can)."""
    global _enabled
    _enabled = False


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Seconds between samples for runs started from now on (None: back to the default, 10 s)."""
    global _interval
    _interval = None if interval is None else _check_interval(interval, "interval")


def get_system_metrics_sampling_interval() -> float:
    """The interval new runs use: the setter's, else ``$NBTRACK_…``/``$MLFLOW_…``, else 10 s."""
    if _interval is not None:
        return _interval
    for name in INTERVAL_ENVS:
        raw = os.environ.get(name)
        if raw:
            return _check_interval(raw, f"${name}")
    return DEFAULT_INTERVAL


def system_metrics_wanted(log_system_metrics: bool | None) -> bool:
    """``start_run``'s argument if given, else the switch above, else the environment."""
    if log_system_metrics is not None:
        return bool(log_system_metrics)
    if _enabled is not None:
        return _enabled
    return any(os.environ.get(n, "").strip().lower() in ("1", "true", "yes") for n in ENABLE_ENVS)


def _check_interval(value: Any, what: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{what} must be a number of seconds, got {value!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise InvalidParameterError(f"{what} must be a positive number of seconds, got {value!r}")
    return seconds


# -- probes -------------------------------------------------------------------------------
def _cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user/nice
    return total - idle, total


def _memory() -> dict[str, float]:
    info: dict[str, float] = {}
    with open("/proc/meminfo") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("MemTotal", "MemAvailable"):
                info[name] = float(rest.split()[0]) * 1024
    used = info["MemTotal"] - info["MemAvailable"]
    return {
        "system_memory_usage_megabytes": used / _MB,
        "system_memory_usage_percentage": used / info["MemTotal"] * 100,
    }


def _disk() -> dict[str, float]:
    st = os.statvfs(os.sep)
    total, free_user = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
    used = total - st.f_bfree * st.f_frsize
    return {
        "disk_usage_percentage": used / (used + free_user) * 100 if used + free_user else 0.0,
        "disk_usage_megabytes": used / _MB,
        "disk_available_megabytes": free_user / _MB,
    }


def _network_bytes() -> tuple[float, float]:
    """(received, sent) bytes over every interface since boot."""
    recv = sent = 0.0
    with open("/proc/net/dev") as f:
        for line in f.readlines()[2:]:
            cols = line.partition(":")[2].split()
            recv += float(cols[0])
            sent += float(cols[8])
    return recv, sent


class _PsutilProbes:
    """The same numbers through psutil, for systems without /proc."""

    def __init__(self) -> None:
        import psutil

        self.psutil = psutil
        psutil.cpu_percent()  # primes the since-last-call counter

    def cpu(self) -> float:
        return float(self.psutil.cpu_percent())

    def memory(self) -> dict[str, float]:
        vm = self.psutil.virtual_memory()
        return {
            "system_memory_usage_megabytes": vm.used / _MB,
            "system_memory_usage_percentage": vm.used / vm.total * 100,
        }

    def disk(self) -> dict[str, float]:
        du = self.psutil.disk_usage(os.sep)
        return {
            "disk_usage_percentage": float(du.percent),
            "disk_usage_megabytes": du.used / _MB,
            "disk_available_megabytes": du.free / _MB,
        }

    def network(self) -> tuple[float, float]:
        io = self.psutil.net_io_counters()
        return float(io.bytes_recv), float(io.bytes_sent)


class _GpuProbe:
    """NVML readings per GPU; absent (``None`` from :meth:`open`) without pynvml or a GPU."""

    def __init__(self, nvml: Any, handles: list[Any]):
        self.nvml, self.handles = nvml, handles

    @classmethod
    def open(cls) -> _GpuProbe | None:
        try:
            import pynvml

            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            return cls(pynvml, [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]) if count else None
        except Exception:  # noqa: BLE001 - no NVML, no driver or no GPU: simply no GPU metrics
            return None

    def sample(self) -> dict[str, float]:
        out: dict[str, float] = {}
        nv = self.nvml
        for i, handle in enumerate(self.handles):
            mem = nv.nvmlDeviceGetMemoryInfo(handle)
            out[f"gpu_{i}_memory_usage_percentage"] = mem.used / mem.total * 100
            out[f"gpu_{i}_memory_usage_megabytes"] = mem.used / _MB
            out[f"gpu_{i}_utilization_percentage"] = float(nv.nvmlDeviceGetUtilizationRates(handle).gpu)
            try:
                power = nv.nvmlDeviceGetPowerUsage(handle) / 1000
                limit = nv.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000
                out[f"gpu_{i}_power_usage_watts"] = power
                out[f"gpu_{i}_power_usage_percentage"] = power / limit * 100 if limit else 0.0
            except Exception:  # noqa: BLE001 - some boards do not report power
                pass
        return out


class SystemSampler:
    """Takes one sample of every system metric (names without the ``system/`` prefix).

    CPU utilisation and network traffic are measured since the previous sample (CPU) and since
    the sampler was created (network), as MLflow reports them.
    """

    def __init__(self) -> None:
        self._psutil = None if os.path.exists("/proc/stat") else _PsutilProbes()
        self._cpu_last = self._cpu_raw()
        self._net_start = self._net_raw()
        self._gpu = _GpuProbe.open()
        self._failed: set[str] = set()

    def _cpu_raw(self) -> tuple[float, float]:
        return (0.0, 0.0) if self._psutil is not None else _cpu_times()

    def _net_raw(self) -> tuple[float, float]:
        return self._psutil.network() if self._psutil is not None else _network_bytes()

    def _cpu_percent(self) -> float:
        if self._psutil is not None:
            return self._psutil.cpu()
        busy, total = _cpu_times()
        last_busy, last_total = self._cpu_last
        self._cpu_last = (busy, total)
        return (busy - last_busy) / (total - last_total) * 100 if total > last_total else 0.0

    def _network(self) -> dict[str, float]:
        recv, sent = self._net_raw()
        return {
            "network_receive_megabytes": (recv - self._net_start[0]) / _MB,
            "network_transmit_megabytes": (sent - self._net_start[1]) / _MB,
        }

    def sample(self) -> dict[str, float]:
        """One reading of every probe that works here."""
        probes: dict[str, Callable[[], dict[str, float]]] = {
            "cpu": lambda: {"cpu_utilization_percentage": self._cpu_percent()},
            "memory": self._psutil.memory if self._psutil is not None else _memory,
            "disk": self._psutil.disk if self._psutil is not None else _disk,
            "network": self._network,
        }
        if self._gpu is not None:
            probes["gpu"] = self._gpu.sample
        out: dict[str, float] = {}
        for name, probe in probes.items():
            if name in self._failed:
                continue
            try:
                out.update(probe())
            except Exception as exc:  # noqa: BLE001 - a broken probe must never stop training
                self._failed.add(name)
                log.warning("nbtrack: system metric probe %r failed and is turned off: %s", name, exc)
        return {k: round(v, 1) for k, v in out.items()}


class SystemMetricsMonitor:
    """A daemon thread logging one :class:`SystemSampler` sample per interval to a run.

    Steps continue after the highest ``system/`` step already logged, so a resumed run's
    curves go on instead of restarting at 0 (as in MLflow).
    """

    def __init__(self, client: TrackingClient, run_id: str, interval: float | None = None):
        self.client, self.run_id = client, run_id
        self.interval = get_system_metrics_sampling_interval() if interval is None else interval
        self.sampler = SystemSampler()
        self.step = _next_step(client, run_id)
        self.cpu_seconds = 0.0  # CPU time this thread spent sampling and logging (bench/)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"nbtrack-system-{run_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def log_sample(self) -> dict[str, float]:
        """Take one sample now and log it at the next step; returns it (prefixed names)."""
        values = {PREFIX + k: v for k, v in self.sampler.sample().items()}
        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, v, now, self.step) for k, v in values.items()])
        self.step += 1
        return values

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            started = time.thread_time()
            try:
                self.log_sample()
                self.cpu_seconds += time.thread_time() - started
            except Exception as exc:  # noqa: BLE001 - the run ended or was deleted under us
                log.warning("nbtrack: system metrics of run %s stopped: %s", self.run_id, exc)
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()


def _next_step(client: TrackingClient, run_id: str) -> int:
    history = client.get_metric_history(run_id, PREFIX + "cpu_utilization_percentage")
    return max((m.step for m in history), default=-1) + 1


def start_system_metrics(client: TrackingClient, run_id: str) -> SystemMetricsMonitor | None:
    """Start sampling for a run (called by ``start_run``); never raises."""
    try:
        monitor = SystemMetricsMonitor(client, run_id)
        monitor.start()
    except Exception as exc:  # noqa: BLE001 - system metrics must never stop a run from starting
        log.warning("nbtrack: could not start system metrics for run %s: %s", run_id, exc)
        return None
    with _monitors_lock:
        _monitors[run_id] = monitor
    return monitor


def stop_system_metrics(run_id: str) -> None:
    """Stop a run's sampler, if it has one (called when the run ends)."""
    with _monitors_lock:
        monitor = _monitors.pop(run_id, None)
    if monitor is not None:
        monitor.stop()
