#!/usr/bin/env python3
"""Parses every YAML file of a generated cxqueues repository with PyYAML's C loader.

The baseline of the `validate` bench: reading and parsing only, no checks.
Usage: pyyaml_parse.py REPO_DIR [RUNS]. Prints `files N`, `bytes N`, one `run_s X` per run
and `median_s X`.
"""

import os
import statistics
import sys
import time

import yaml


def files_of(root):
    out = [os.path.join(root, "cxqueues.yaml")]
    for base, dirs, names in os.walk(os.path.join(root, "queues")):
        dirs.sort()
        out.extend(os.path.join(base, n) for n in sorted(names) if n.endswith((".yaml", ".yml")))
    return out


def parse_all(paths):
    docs = 0
    for p in paths:
        with open(p, "rb") as f:
            if yaml.load(f.read(), Loader=yaml.CSafeLoader) is not None:
                docs += 1
    return docs


def main():
    root = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    paths = files_of(root)
    print(f"files {len(paths)}")
    print(f"bytes {sum(os.path.getsize(p) for p in paths)}")
    times, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        docs = parse_all(paths)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        print(f"run_s {times[-1]:.6f} cpu_s {cpus[-1]:.6f}")
    assert docs == len(paths), (docs, len(paths))
    print(f"median_s {statistics.median(times):.6f}")
    print(f"median_cpu_s {statistics.median(cpus):.6f}")


if __name__ == "__main__":
    main()
