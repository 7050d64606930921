"""How a Ranking replica sizes its torch thread pool (Ray would hand a fractional-CPU replica one)."""

from __future__ import annotations

import os

import pytest

from semstream.config import Settings
from semstream.deployments.factories import ranker_thread_setup, ranker_threads


def test_ranker_threads_take_the_ranker_setting_then_torch_threads_then_the_cpus() -> None:
    assert ranker_threads(Settings(ranker_threads=3, torch_threads=1)) == 3
    assert ranker_threads(Settings(torch_threads=1)) == 1
    assert ranker_threads(Settings()) == max(1, os.cpu_count() or 1)


def test_ranker_threads_below_one_fail_at_start_up_naming_the_field() -> None:
    with pytest.raises(ValueError, match="ranker_threads"):
        Settings(ranker_threads=0)


def test_ranker_thread_setup_sets_torch_threads_in_the_calling_thread() -> None:
    import torch

    before = torch.get_num_threads()
    try:
        ranker_thread_setup(Settings(ranker_threads=1))()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
