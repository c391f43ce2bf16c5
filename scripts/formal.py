#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""``make formal``: every proof of ``lifgen.sim.formal.FORMAL_CASES`` with SymbiYosys; exit 1 if any fails.

Usage: .venv/bin/python scripts/formal.py [--out DIR]     (work files, counterexample traces: DIR, default
build/formal)
"""

import argparse
import os
import sys

from lifgen.params import CoreConfig, LIFParams
from lifgen.sim.formal import FORMAL_CASES, prove


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join("build", "formal"))
    args = ap.parse_args()
    failed = 0
    for name, params, neurons, core in FORMAL_CASES:
        print(f"formal: {name}: {neurons} neurons, {core} ...", file=sys.stderr, flush=True)
        result = prove(name, LIFParams(**params), neurons, CoreConfig(**core), os.path.join(args.out, name))
        ok = result["prove"] == "PASS" and result["cover"] == "PASS"
        failed += not ok
        print(f"formal: {name}: prove {result['prove']}, cover {result['cover']} ({result['seconds']} s)"
              + ("" if ok else f"; logs and traces in {os.path.join(args.out, name)}"))
    print(f"formal: {len(FORMAL_CASES) - failed} of {len(FORMAL_CASES)} configurations proved")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
