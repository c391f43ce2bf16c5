#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""``make formal``: every proof of ``lifgen.sim.formal`` with SymbiYosys; exit 1 if any fails.

The core's properties (``FORMAL_CASES``), the update rule at full widths (``RULE_CASES``), the step timing
(``TIMING_CASES``), the host link's frame parser (``PARSER_CASES``) and the bounded end-to-end check of one
watched neuron (``WATCH_CASES``: ``bmc`` instead of ``prove``).

Usage: .venv/bin/python scripts/formal.py [--out DIR] [-k TEXT]   (work files and counterexample traces: DIR,
default build/formal; -k runs only the proofs whose name contains TEXT)
"""

import argparse
import os
import sys
from functools import partial

from lifgen.params import CoreConfig, LIFParams
from lifgen.sim import formal


def proofs():
    """(name, description, function of a work directory) for every proof."""
    for name, params, neurons, core in formal.FORMAL_CASES:
        yield (name, f"core, {neurons} neurons, {core}",
               partial(formal.prove, name, LIFParams(**params), neurons, CoreConfig(**core)))
    for name, params in formal.RULE_CASES:
        yield name, f"update rule, {params or 'defaults'}", partial(formal.prove_rule, name, LIFParams(**params))
    for name, params, neurons, core in formal.TIMING_CASES:
        yield (name, f"step timing, {neurons} neurons, {core}",
               partial(formal.prove_step_timing, name, LIFParams(**params), neurons, CoreConfig(**core)))
    for name, kwargs in formal.PARSER_CASES:
        yield name, f"frame parser, {kwargs}", partial(formal.prove_parser, name, **kwargs)
    for name, params, neurons, core, depth, rule in formal.WATCH_CASES:
        yield (name, f"watched neuron{' and its rule' if rule else ''}, {neurons} neurons, {core}, {depth} cycles",
               partial(formal.check_watched_neuron, name, LIFParams(**params), neurons, CoreConfig(**core),
                       depth=depth, rule=rule))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join("build", "formal"))
    ap.add_argument("-k", default="", help="only the proofs whose name contains this text")
    args = ap.parse_args()
    chosen = [p for p in proofs() if args.k in p[0]]
    failed = 0
    for i, (name, what, run) in enumerate(chosen, 1):
        print(f"formal: [{i}/{len(chosen)}] {name}: {what} ...", file=sys.stderr, flush=True)
        workdir = os.path.join(args.out, name)
        result = run(workdir)
        check = "prove" if "prove" in result else "bmc"
        ok = result[check] == "PASS" and result["cover"] == "PASS"
        failed += not ok
        print(f"formal: {name}: {check} {result[check]}, cover {result['cover']} ({result['seconds']} s)"
              + ("" if ok else f"; failed: {', '.join(result['failed']) or '-'}; logs and traces in {workdir}"),
              flush=True)
    print(f"formal: {len(chosen) - failed} of {len(chosen)} proofs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
