# SPDX-License-Identifier: BSD-2-Clause
"""Verilog models of the vendor primitives a generated design may instantiate (``lifgen.hw.storage``), so that
Icarus Verilog and Verilator can simulate it: :func:`models_for` returns the models a design's text needs.
SB_SPRAM256KA (storage ``spram``), DP16KD and FD1S3AX (storage ``dp16kd``)."""

from importlib import resources

__all__ = ["PRIMITIVES", "models_for"]

PRIMITIVES = ("SB_SPRAM256KA", "DP16KD", "FD1S3AX")


def models_for(verilog_text: str) -> dict:
    """``{file name: Verilog text}`` of the model of every primitive instantiated in ``verilog_text``."""
    models = {}
    for name in PRIMITIVES:
        if f"{name} " in verilog_text:
            models[f"{name}.v"] = resources.files("lifgen.sim").joinpath("models", f"{name}.v").read_text()
    return models
