#!/usr/bin/python3
"""many_branches.py - a quarter with very many branches, for the
many-branches check of `clmseg run` (docs/run.md, "Many branches").

    many_branches.py IN.h5 OUT.h5 BRANCHES [SEED]

Copies IN.h5 (a quarter of `clmseg synth`) to OUT.h5 and rewrites its
/subscribers/branch column with BRANCHES distinct codes: row i gets code
perm[i % BRANCHES] for a seeded permutation perm, so every branch has
N / BRANCHES rows (give or take one) and codes are spread over the file;
labels "B0000000", "B0000001", ... as the `categories` attribute.  The
other columns are left as they are.  synth itself stops at 100,000
branches.
"""
import shutil
import sys

import h5py
import numpy as np


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    src, dst, branches = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) == 5 else 1
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        g = f["subscribers"]
        n = g["branch"].shape[0]
        if branches < 1 or branches > n:
            sys.exit("BRANCHES must be in [1, rows]")
        perm = np.random.default_rng(seed).permutation(branches).astype(np.int32)
        codes = perm[np.arange(n) % branches]
        del g["branch"]
        d = g.create_dataset("branch", data=codes, chunks=(min(n, 65536),))
        d.attrs["categories"] = np.array(["B%07d" % i for i in range(branches)],
                                         dtype=h5py.string_dtype())
    print("%s: %d rows, %d branches" % (dst, n, branches))


if __name__ == "__main__":
    main()
