"""Shared fixtures of the NASH tests."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Run each test on one intra-op thread, restoring the previous setting afterwards.

    The models here are tiny; on a shared 2-core machine a second OpenMP thread only adds
    spin-waiting (a 16-wide linear layer took milliseconds instead of microseconds).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
