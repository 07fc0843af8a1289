"""``make mutation``: mutmut over the pure rule modules against the pure rule tests, a score per
module, every survivor checked against ``mutation/EQUIVALENTS.md``, then every threshold default
and rule constant nudged one step (``mutation.nudges``).

Usage: ``python -m mutation [--jobs 2] [--no-nudges] [--keep]``. Exits non-zero when a module
scores under 95 %, a survivor is not explained, or a nudge is not caught.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

from mutation.nudges import ROOT, run_all

MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "mutation" / "EQUIVALENTS.md"
MIN_SCORE = 95.0
# mutmut's exit codes: a failing test run (1, 3) or a timeout (tests never finished) detects it.
DETECTED = {1, 3, 24, -24, 36, 152, 255}
SURVIVED = {0}


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return list(config["only_mutate"])


def run_mutmut(jobs: int, log: Path) -> float:
    shutil.rmtree(MUTANTS, ignore_errors=True)
    MUTANTS.mkdir()
    mutmut = Path(sys.executable).with_name("mutmut")
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(
            [str(mutmut), "run", "--max-children", str(jobs)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"mutmut run failed (exit {done.returncode}); see {log}")
    return elapsed


def results(module: str) -> dict[str, int | None]:
    meta = MUTANTS / f"{module}.meta"
    return json.loads(meta.read_text())["exit_code_by_key"]


def listed_equivalents() -> set[str]:
    """The mutant names in EQUIVALENTS.md (each line starts with one, in backticks)."""
    return set(re.findall(r"^\| `([\w.ǁ]+__mutmut_\d+)`", EQUIVALENTS.read_text(), re.MULTILINE))


def report() -> tuple[bool, list[str]]:
    """Print the per-module table; return whether every module reaches MIN_SCORE, and the
    survivors (anything not detected)."""
    ok, survivors = True, []
    print(f"  {'module':28} {'mutants':>8} {'killed':>7} {'survived':>9} {'score':>7}")
    for module in modules():
        codes = results(module)
        counts = Counter("killed" if c in DETECTED else "survived" for c in codes.values())
        total = len(codes)
        score = 100.0 * counts["killed"] / total if total else 100.0
        ok &= score >= MIN_SCORE
        short = module.removeprefix("server/")
        print(f"  {short:28} {total:8} {counts['killed']:7} {counts['survived']:9} {score:6.1f}%")
        survivors += sorted(
            (name for name, code in codes.items() if code not in DETECTED),
            key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])),
        )
        odd = Counter(c for c in codes.values() if c not in DETECTED | SURVIVED)
        if odd:
            print(f"    (not detected, not a plain survivor: exit codes {dict(odd)})")
    return ok, survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-nudges", action="store_true")
    parser.add_argument("--keep", action="store_true", help="report on the last run's mutants/")
    args = parser.parse_args()
    failed = False
    if not args.keep:
        elapsed = run_mutmut(args.jobs, MUTANTS / "run.log")
        print(f"mutmut: {elapsed / 60:.1f} min with {args.jobs} workers (log: mutants/run.log)")
    module_ok, survivors = report()
    failed |= not module_ok
    listed = listed_equivalents()
    unexplained = [s for s in survivors if s not in listed]
    for name in sorted(listed - set(survivors)):
        print(f"    listed in {EQUIVALENTS.name} but no longer surviving (remove it): {name}")
    print(
        f"  survivors: {len(survivors)}, explained in {EQUIVALENTS.name}: "
        f"{len(survivors) - len(unexplained)}"
    )
    for name in unexplained:
        failed = True
        print(f"    NOT EXPLAINED: {name}  (see: mutmut show {name})")
    if not args.no_nudges:
        started = time.monotonic()
        print("nudged defaults:")
        failed |= run_all(args.jobs) > 0
        print(f"nudges: {(time.monotonic() - started) / 60:.1f} min")
    if not module_ok:
        print(f"FAILED: a module scores under {MIN_SCORE:.0f} %")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
