#!/usr/bin/python3
"""Writes the seed recipes of the structure-aware harness fuzz_h5 (the bytes
are a recipe for an HDF5 file, see fuzz_h5.c) into corpus/h5/:
    tests/fuzz/corpus/make_h5_corpus.py
Deterministic (fixed seeds), so re-running rewrites the same files."""
import os
import random

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "h5")
os.makedirs(here, exist_ok=True)
for seed, size in [(1, 32), (2, 64), (3, 128), (4, 256), (5, 512), (6, 1024)]:
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(size))
    with open(os.path.join(here, "recipe_%d.bin" % seed), "wb") as f:
        f.write(data)
# A good table: group /subscribers (0), creation order (1), 20 rows,
# 3 datasets: int64 column, float64 column, int32 codes with categories.
good = bytes([0, 1, 20, 3,
              6, 6, 3, 2, 1, 0, 0, 1, 2,          # subscriber_id, int64, 1-D, chunked
              ]) + bytes(range(64)) + bytes([1,
              4, 9, 3, 2, 0, 0, 0, 1, 4]) + bytes(range(0, 128, 2)) + bytes([1,
              5, 4, 3, 2, 0, 0, 0, 0, 0, 3]) + bytes(64) + bytes([0, 0, 3, 2, 97, 98, 1, 99, 0])
with open(os.path.join(here, "recipe_table.bin"), "wb") as f:
    f.write(good)
