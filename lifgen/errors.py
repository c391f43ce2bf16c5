# SPDX-License-Identifier: BSD-2-Clause
"""User-facing errors. Library code raises these and never exits; the CLI turns them into one line on
stderr and the error's ``exit_code`` (2 for bad input, 1 for a result that is wrong or a build that failed).

``field`` names the parameter or input at fault in the library's own words (``"tau_ms"``, ``"neurons"``,
``"waves"``); the CLI maps it to the option a user typed (``--tau-ms``). Messages never name CLI flags.

:func:`check_output_path` is the one check of a path lifgen is asked to write (a Verilog file, a plot, waves, a
build or demo directory), so that every command refuses an unusable one in the same words before any work starts.
"""

import contextlib
import os

__all__ = ["LifgenError", "ParameterError", "InputError", "ToolError", "MismatchError", "check_output_path",
           "refused_quietly", "set_aside"]


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


def check_output_path(path, what, field, *, directory=False, create_parents=False):
    """Refuse (:class:`InputError` with ``field``) a path that ``what`` (``"the Verilog file"``) cannot be written
    to, and return it absolute. Its directory must exist (with ``create_parents``, its first existing ancestor),
    be a directory and be writable; the path itself must not be a directory (or, with ``directory``, a file).
    A ``directory`` output is created here, and with ``create_parents`` so are the missing directories above it,
    so that an error surfaces now rather than after a long run."""
    path = os.path.abspath(os.fspath(path))
    fail = lambda why: InputError(f"cannot write {what} {path!r}: {why}", field=field)
    if os.path.isdir(path) and not directory:
        raise fail("it is a directory")
    if directory and os.path.lexists(path) and not os.path.isdir(path):
        raise fail("it is a file, not a directory")
    parent = existing = os.path.dirname(path)
    while create_parents and not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.lexists(existing):
        raise fail(f"directory {existing!r} does not exist")
    if not os.path.isdir(existing):
        raise fail(f"{existing!r} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise fail(f"directory {existing!r} is not writable")
    if directory or existing != parent:
        target = path if directory else parent
        try:
            os.makedirs(target, exist_ok=True)
        except OSError as exc:
            raise fail(f"cannot create directory {target!r} ({exc.strerror or exc})") from None
    return path


def set_aside(elaboratable):
    """Mark an Amaranth ``Elaboratable`` made only to check its arguments, so that Amaranth does not warn "created
    but never used" when it is collected."""
    setattr(elaboratable, "_MustUse__silence", True)        # what amaranth.hdl._ast does for its own


@contextlib.contextmanager
def refused_quietly(elaboratable):
    """Wrap the checks in an Amaranth ``Elaboratable``'s constructor: when they raise, the half-built object is
    marked so that Amaranth does not add "created but never used" to the error once it is collected."""
    try:
        yield
    except BaseException:
        set_aside(elaboratable)
        raise
