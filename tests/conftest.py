# SPDX-License-Identifier: BSD-2-Clause
"""Shared fixtures: the conformance vectors and a scratch build area."""

import json
import pathlib

import numpy as np
import pytest

VECTOR_DIR = pathlib.Path(__file__).parent / "vectors"
VECTOR_FILES = sorted(VECTOR_DIR.glob("*.json"))


def load_vector(path):
    with open(path) as f:
        d = json.load(f)
    d["u"] = np.array(d["u"], dtype=np.int64)
    d["spikes"] = np.array(d["spikes"], dtype=np.int64).reshape(-1, 2)
    d["v_trace"] = np.array(d["v_trace"], dtype=np.int64)
    return d


@pytest.fixture(params=VECTOR_FILES, ids=lambda p: p.stem)
def vector(request):
    return load_vector(request.param)
