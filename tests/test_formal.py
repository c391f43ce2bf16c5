# SPDX-License-Identifier: BSD-2-Clause
"""The SymbiYosys proofs (``make formal``) also run here: each configuration of
``lifgen.sim.formal.FORMAL_CASES`` is proved by k-induction (every input free: steps, input writes, backpressure
on every stream, reset) and every cover statement is reached (a spike, a waiting issue stage, a completed step),
so the properties are not vacuous."""

import pytest

from lifgen.params import CoreConfig, LIFParams
from lifgen.sim.formal import FORMAL_CASES, prove


@pytest.mark.parametrize("name, params, neurons, core", FORMAL_CASES, ids=[c[0] for c in FORMAL_CASES])
def test_core_properties_are_proved(tmp_path, name, params, neurons, core):
    result = prove(name, LIFParams(**params), neurons, CoreConfig(**core), tmp_path)
    assert result["prove"] == "PASS", result["log"]
    assert result["cover"] == "PASS", result["log"]
