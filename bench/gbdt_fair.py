"""Like-for-like GBDT training time: LightGBM against Vigie's GBDT with the
same parameters, the same rows, a fixed number of rounds, 2 threads.

    python bench/gbdt_fair.py [TRAIN.parquet] [--rounds 300] [--threads 2]
        [--export DIR] [--vigie PATH] [--repeats 1]

Rows: the 32 behaviour features of bench/models_reference.py (`category`
categorical); the training file is split as `vigie train` does (the last
20 % are the validation period); both models fit the rows before the cut.
Parameters (both): objective binary, learning rate 0.1, 31 leaves,
min_data_in_leaf 50, min_sum_hessian 1e-3, lambda_l2 1, max_bin 255, no
bagging, no feature fraction, early stopping off, `--rounds` trees.

The fit and validation matrices are written once to DIR (default
/tmp/gbdt-fair) as raw little-endian files that the Rust example
`gbdt_fair` (crates/model/examples/gbdt_fair.rs) reads; `--vigie` runs it
(default target/release/examples/gbdt_fair when it exists). Each side
reports total seconds (binning included, file reading excluded), seconds
per tree and validation AP (vigie-model's definition); the load average is
printed before and after each side.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_reference import BEHAVIOUR, CATEGORY, average_precision, read, split_validation  # noqa: E402


def load() -> str:
    return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def export(period, path: str) -> None:
    """Column-major f32 features then u8 labels; header rows, features."""
    x = np.asfortranarray(period.x, dtype=np.float32)
    with open(path, "wb") as f:
        f.write(np.array([x.shape[0], x.shape[1]], dtype="<u8").tobytes())
        f.write(x.T.astype("<f4").tobytes())
        f.write(period.y.astype(np.uint8).tobytes())


def lightgbm(fit, valid, args) -> None:
    import lightgbm as lgb

    params = {
        "objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 50,
        "min_sum_hessian_in_leaf": 1e-3, "lambda_l2": 1.0, "max_bin": 255,
        "num_threads": args.threads, "seed": 0, "verbose": -1, "metric": "binary_logloss",
    }
    for repeat in range(args.repeats):
        print(f"lightgbm ({load()})", flush=True)
        start = time.perf_counter()
        train = lgb.Dataset(fit.x, fit.y, categorical_feature=[CATEGORY], feature_name=BEHAVIOUR,
                            free_raw_data=False)
        check = lgb.Dataset(valid.x, valid.y, reference=train)
        booster = lgb.train(params, train, num_boost_round=args.rounds, valid_sets=[check])
        secs = time.perf_counter() - start
        ap = average_precision(booster.predict(valid.x, raw_score=True), valid.y)
        print(f"lightgbm {lgb.__version__}: {booster.num_trees()} trees in {secs:.2f} s "
              f"({1000 * secs / booster.num_trees():.1f} ms/tree), valid AP {ap:.4f} "
              f"[repeat {repeat + 1}, {load()}]", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("train", nargs="?", default="/work/vfeat/train.parquet")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--export", default="/tmp/gbdt-fair")
    parser.add_argument("--vigie", default="target/release/examples/gbdt_fair")
    parser.add_argument("--skip-lightgbm", action="store_true")
    args = parser.parse_args()
    fit, valid = split_validation(read(args.train))
    print(f"fit {len(fit)} rows x {fit.x.shape[1]} ({int(fit.y.sum())} frauds), "
          f"valid {len(valid)} rows", flush=True)
    os.makedirs(args.export, exist_ok=True)
    fit_path, valid_path = (os.path.join(args.export, f"{n}.bin") for n in ("fit", "valid"))
    if not (os.path.exists(fit_path) and os.path.exists(valid_path)):
        export(fit, fit_path)
        export(valid, valid_path)
    if not args.skip_lightgbm:
        lightgbm(fit, valid, args)
    if os.path.exists(args.vigie):
        for repeat in range(args.repeats):
            print(f"vigie ({load()})", flush=True)
            subprocess.run([args.vigie, fit_path, valid_path, "--rounds", str(args.rounds),
                            "--threads", str(args.threads)], check=True)
            print(f"[repeat {repeat + 1}, {load()}]", flush=True)


if __name__ == "__main__":
    main()
