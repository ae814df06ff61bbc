"""Compressed and uncompressed bytes of every column of a Parquet file,
summed over row groups, largest first (the figures behind the choice of
uncompressed columns in crates/features/src/table.rs).

    bench/.venv/bin/python bench/parquet_column_sizes.py FILE.parquet
"""

import sys

import pyarrow.parquet as pq


def main(path: str) -> None:
    metadata = pq.ParquetFile(path).metadata
    sizes: dict[str, list] = {}
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        for c in range(group.num_columns):
            column = group.column(c)
            entry = sizes.setdefault(column.path_in_schema, [0, 0, column.compression])
            entry[0] += column.total_compressed_size
            entry[1] += column.total_uncompressed_size
    print(f"{'column':32s} {'stored MB':>10s} {'raw MB':>8s} {'ratio':>6s} codec")
    for name, (stored, raw, codec) in sorted(sizes.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:32s} {stored / 1e6:10.1f} {raw / 1e6:8.1f} {raw / stored:6.2f} {codec}")


if __name__ == "__main__":
    main(sys.argv[1])
