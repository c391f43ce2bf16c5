# SPDX-License-Identifier: BSD-2-Clause
"""User-facing errors: the CLI turns these into one line on stderr and exit code 2."""

__all__ = ["LifgenError", "ParameterError", "InputError", "ToolError"]


class LifgenError(Exception):
    """Base class of every error lifgen reports to a user without a traceback."""


class ParameterError(LifgenError, ValueError):
    """A physical or fixed-point parameter is out of range or inconsistent."""


class InputError(LifgenError, ValueError):
    """An input (current array, file, neuron count) does not fit the model."""


class ToolError(LifgenError, RuntimeError):
    """An external tool (simulator, synthesiser) is missing or failed."""
