"""Load-aware ranking depth: score fewer candidates (N 250 -> 130) under pressure, restore when calm.

Pressure is the larger of (requests in flight / target in flight) and (ranking latency / deadline).
N drops at once after ``patience`` consecutive readings at or above ``high``; it comes back only
once no reading above ``low`` was seen for ``cooldown_s`` (hysteresis, so it does not flap; an idle
gap counts as calm).
Every change is recorded as a ``DepthDecision`` and passed to ``on_change`` (metrics).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DepthDecision:
    at: float
    old: int
    new: int
    pressure: float
    reason: str


class DepthController:
    def __init__(
        self,
        normal: int = 250,
        reduced: int = 130,
        target_inflight: int = 16,
        deadline_s: float = 0.5,
        high: float = 1.0,
        low: float = 0.5,
        patience: int = 2,
        cooldown_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[DepthDecision], None] | None = None,
    ) -> None:
        if reduced > normal:
            raise ValueError(f"reduced depth {reduced} is above the normal depth {normal}")
        self.normal, self.reduced = normal, reduced
        self.target_inflight, self.deadline_s = target_inflight, deadline_s
        self.high, self.low, self.patience, self.cooldown_s = high, low, patience, cooldown_s
        self._clock = clock
        self._on_change = on_change
        self._depth = normal
        self._hot = 0
        self._last_busy = clock()
        self._pressure = 0.0
        self._decisions: deque[DepthDecision] = deque(maxlen=50)
        self._lock = threading.Lock()

    @property
    def depth(self) -> int:
        return self._depth

    def current(self) -> int:
        """The depth to use now; an idle spell longer than the cooldown restores N without a reading."""
        with self._lock:
            calm_for = self._clock() - self._last_busy
            if self._depth == self.reduced and calm_for >= self.cooldown_s:
                self._change(self.normal, 0.0, f"idle for {calm_for:.1f}s")
            return self._depth

    def pressure(self, inflight: int, latency_s: float) -> float:
        return max(inflight / self.target_inflight, latency_s / self.deadline_s)

    def observe(self, inflight: int, latency_s: float) -> int:
        """Record one reading (after a ranked request); returns the depth to use next."""
        with self._lock:
            p = self._pressure = self.pressure(inflight, latency_s)
            now = self._clock()
            self._hot = self._hot + 1 if p >= self.high else 0
            if p > self.low:
                self._last_busy = now
            calm_for = now - self._last_busy
            if self._depth == self.normal and self._hot >= self.patience:
                self._change(self.reduced, p, f"pressure {p:.2f} >= {self.high} for {self._hot} readings")
            elif self._depth == self.reduced and p <= self.low and calm_for >= self.cooldown_s:
                self._change(self.normal, p, f"pressure <= {self.low} for {calm_for:.1f}s")
            return self._depth

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "depth": self._depth, "normal": self.normal, "reduced": self.reduced,
                "pressure": round(self._pressure, 3),
                "decisions": [asdict(d) for d in self._decisions],
            }

    def _change(self, new: int, pressure: float, reason: str) -> None:
        decision = DepthDecision(at=time.time(), old=self._depth, new=new, pressure=pressure, reason=reason)
        self._depth = new
        self._hot = 0
        self._decisions.append(decision)
        if self._on_change is not None:
            self._on_change(decision)
