# SPDX-License-Identifier: BSD-2-Clause
"""User-facing errors. Library code raises these and never exits; the CLI turns them into one line on
stderr and the error's ``exit_code`` (2 for bad input, 1 for a result that is wrong or a build that failed).

``field`` names the parameter or input at fault in the library's own words (``"tau_ms"``, ``"neurons"``,
``"waves"``); the CLI maps it to the option a user typed (``--tau-ms``). Messages never name CLI flags.
"""

__all__ = ["LifgenError", "ParameterError", "InputError", "ToolError", "MismatchError"]


class LifgenError(Exception):
    """Base class of every error lifgen reports to a user without a traceback."""
    exit_code = 2

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.field = field


class ParameterError(LifgenError, ValueError):
    """A physical, fixed-point or core parameter is out of range or inconsistent."""


class InputError(LifgenError, ValueError):
    """An input (current array, file, neuron count, output path) does not fit the model."""


class ToolError(LifgenError, RuntimeError):
    """An external tool (simulator, synthesiser) is missing or failed."""


class MismatchError(LifgenError):
    """Two models that must agree bit for bit did not (``lifgen demo``); exit code 1."""
    exit_code = 1
