"""Times pandas.read_csv of a whole file (the reference for `vigie ingest`).

python bench/pandas_read_csv.py FILE [RUNS]   -> prints the best time in seconds
"""
import sys
import time

import pandas as pd


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = float("inf")
    rows = 0
    for _ in range(runs):
        start = time.perf_counter()
        rows = len(pd.read_csv(path))
        best = min(best, time.perf_counter() - start)
    print(f"pandas {pd.__version__} read_csv: {rows} rows, best of {runs}: {best:.3f} s")


if __name__ == "__main__":
    main()
