"""How long each DAG file takes to parse, against the 0.5 s budget and against a trivial DAG.

Run: `.venv/bin/python bench/dag_parse.py` (or `make bench`). Prints, per DAG file, the median of
several DagBag parses in one process (Airflow itself already imported), the ratio to a minimal
TaskFlow DAG parsed the same way, and the ratio to the 0.5 s budget (must stay below 1).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from warehouse import services

REPEATS = 7
BUDGET_SECONDS = 0.5

MINIMAL_DAG = textwrap.dedent(
    '''
    """A minimal TaskFlow DAG: the baseline."""
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"))
    def minimal():
        @task
        def noop():
            return None
        noop()

    minimal()
    '''
)

TIMER = textwrap.dedent(
    """
    import statistics, sys, time
    sys.path.insert(0, sys.argv[1])
    from airflow.dag_processing.dagbag import DagBag
    for path in sys.argv[2:]:
        DagBag(dag_folder=path)  # warm-up: first import of shared modules
        times = []
        for _ in range(int(REPEATS)):
            for name in [m for m in sys.modules if m.startswith(("_shared", "unusual_prefix"))]:
                del sys.modules[name]
            start = time.perf_counter()
            bag = DagBag(dag_folder=path)
            times.append(time.perf_counter() - start)
            assert not bag.import_errors, bag.import_errors
        print("TIMING", path, statistics.median(times))
    """
).replace("REPEATS", str(REPEATS))


def main() -> None:
    dags_folder = Path(__file__).resolve().parent.parent / "dags"
    files = sorted(path for path in dags_folder.glob("*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        baseline = Path(tmp) / "minimal.py"
        baseline.write_text(MINIMAL_DAG)
        env = services.airflow_env("postgresql://nobody@127.0.0.1:1/unused", None, Path(tmp) / "airflow")
        output = subprocess.run(
            [sys.executable, "-c", TIMER, str(dags_folder), str(baseline), *map(str, files)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    timings = [line.split()[1:] for line in output.splitlines() if line.startswith("TIMING ")]
    medians = {Path(path).name: float(seconds) for path, seconds in timings}
    base = medians.pop("minimal.py")
    print(f"{'DAG file':<28} {'median s':>9} {'x minimal DAG':>14} {'x 0.5 s budget':>15}")
    for name, seconds in medians.items():
        print(f"{name:<28} {seconds:>9.4f} {seconds / base:>14.2f} {seconds / BUDGET_SECONDS:>15.3f}")
    print(f"{'(minimal TaskFlow DAG)':<28} {base:>9.4f}")
    verdict = "all within budget" if max(medians.values()) < BUDGET_SECONDS else "OVER BUDGET"
    print(f"median of {REPEATS} parses each; {verdict}")


if __name__ == "__main__":
    main()
