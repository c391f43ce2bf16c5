# SPDX-License-Identifier: BSD-2-Clause
"""``python -m lifgen``: the same as the ``lifgen`` console script."""
import sys

from .cli import main

sys.exit(main())
