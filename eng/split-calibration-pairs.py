#!/usr/bin/env python3
"""Splits labelled pair files into a tuning half and a held-out half, deterministically.

A pair goes to the held-out half when the SHA-256 of "a<TAB>b" is odd: no seed, no order dependence, the same split on every
machine. The MiniLM default threshold and guard were chosen on the *-tune.jsonl halves only; the figures in docs/Caching.md
are measured on the *-holdout.jsonl halves.

Usage: eng/split-calibration-pairs.py OUT_DIR ../shared/data/stsb_dev_pairs.jsonl ../shared/data/qqp_pairs_dev.jsonl ...
"""
import hashlib
import json
import os
import sys

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
for path in sys.argv[2:]:
    stem = os.path.splitext(os.path.basename(path))[0]
    halves = {0: [], 1: []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            h = int(hashlib.sha256((row["a"] + "\t" + row["b"]).encode("utf-8")).hexdigest(), 16) % 2
            halves[h].append(line if line.endswith("\n") else line + "\n")
    for half, name in ((0, "tune"), (1, "holdout")):
        with open(os.path.join(out_dir, f"{stem}-{name}.jsonl"), "w", encoding="utf-8") as f:
            f.writelines(halves[half])
    print(f"{stem}: {len(halves[0])} tune, {len(halves[1])} held out")
