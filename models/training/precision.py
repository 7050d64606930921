"""Which dtype the training forward pass runs in: bfloat16 autocast where the hardware has bf16 matmuls."""

from __future__ import annotations

from pathlib import Path

import torch

from semstream.models.training.exceptions import TrainingError

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    try:
        flags = cpuinfo.read_text()
    except OSError:
        return False
    return any(flag in flags.split() for flag in BF16_CPU_FLAGS)


def autocast_dtype(choice: str, device: str = "cpu", cpuinfo: Path = Path("/proc/cpuinfo")) -> torch.dtype | None:
    """None (plain float32) or torch.bfloat16 for ``choice`` in auto | bfloat16 | float32."""
    if choice == "float32":
        return None
    if choice == "bfloat16":
        return torch.bfloat16
    if choice != "auto":
        raise TrainingError(f"train_autocast must be auto, bfloat16 or float32, not {choice!r}")
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if cpu_has_bf16(cpuinfo) else None
