#!/usr/bin/env python3
"""Checks that an outside validator agrees with `cxqueues validate`.

For the example repository at the workspace root and every schema-level case of the corpus
(tests/corpus/<case>/), each YAML document is validated with python's `jsonschema`
(Draft 7) against schemas/queue.schema.json (queue files) or schemas/tenant.schema.json
(cxqueues.yaml), and python's verdict on each file (valid when every document is) is
compared with the verdict of `cxqueues validate --format json` on the repository (a file is
invalid when it has an error). Exit 0 when every file agrees; otherwise non-zero, with the
disagreements or the reason (missing python modules, a missing case, a wrong command line).

Usage: python3 tests/schema_agreement.py PATH/TO/cxqueues
"""

import json
import subprocess
import sys
from pathlib import Path

try:
    import jsonschema
    import yaml
except ImportError as e:
    sys.exit(
        f"schema_agreement.py needs the python modules jsonschema and pyyaml ({e}); "
        "install them with: python3 -m pip install jsonschema pyyaml"
    )

ROOT = Path(__file__).resolve().parent.parent

# Only cases the schema can express: types, unknown fields, enum values, required fields,
# ranges and lengths. Left out on purpose: YAML syntax (not YAML), duplicate keys (PyYAML keeps
# the last value), target/targetId (not in the schema), YAML 1.1 spellings (`yes`, `3_00`:
# PyYAML reads YAML 1.1, cxqueues YAML 1.2), and every cross-queue rule, skill count and
# license (not schema rules). Ids are in: the schema has the canonical UUID's pattern.
# `range_time_high` (301 s) and `range_time_low` (0 s) are platform rules: the routing API
# holds serviceLevelTarget.time at 1–300 s, Genesys Cloud from 1 s with no upper bound, NICE
# CXone from 0 s with none, so the schema (one for every platform) says only "0 or more" and
# `validate` applies the platform's range.
SCHEMA_CASES = [
    "bounds_ok",
    "wrong_types",
    "unknown_field",
    "unknown_kind",
    "unknown_api_version",
    "missing_name",
    "unknown_proficiency",
    "tenant_unknown_field",
    "multi_doc_errors",
    "multi_doc_unknown_field",
    "range_threshold_low",
    "range_threshold_high",
    "range_overflow_wait_low",
    "range_overflow_wait_high",
    "range_max_wait_time_low",
    "range_max_wait_time_high",
    "range_max_waiters_low",
    "range_max_waiters_high",
    "range_name_long",
    "range_name_empty",
    "range_description_long",
    "invalid_id",
    "null_and_quoted",
]


def validator(name):
    schema = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def python_problems(path, v):
    """The schema violations of every document of one file (empty: valid)."""
    problems = []
    with path.open(encoding="utf-8") as f:
        for i, doc in enumerate(yaml.safe_load_all(f)):
            if doc is None:
                continue
            for err in v.iter_errors(doc):
                where = "/".join(str(p) for p in err.absolute_path) or "(document)"
                problems.append(f"document {i + 1}, {where}: {err.message}")
    return problems


def cxqueues_errors(binary, repo):
    """`cxqueues validate --format json`: the files with an error, each with its messages."""
    run = subprocess.run(
        [binary, "validate", "--format", "json", "--repo", str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):
        raise SystemExit(f"cxqueues exited {run.returncode} on {repo}:\n{run.stderr}")
    report = json.loads(run.stdout)
    if report["valid"] != (run.returncode == 0):
        raise SystemExit(f"{repo}: exit {run.returncode} but valid={report['valid']}")
    errors = {}
    for d in report["diagnostics"]:
        if d["severity"] == "error":
            errors.setdefault(d["file"], []).append(
                f"{d['line']}:{d['column']} {d['rule']}: {d['message']}"
            )
    return errors


def files_of(repo):
    """(path relative to the repo, schema file name) of every document file of a repo."""
    out = []
    if (repo / "cxqueues.yaml").exists():
        out.append(("cxqueues.yaml", "tenant.schema.json"))
    for p in sorted((repo / "queues").rglob("*")):
        if p.suffix in (".yaml", ".yml") and p.is_file():
            out.append((p.relative_to(repo).as_posix(), "queue.schema.json"))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    validators = {n: validator(n) for n in ("queue.schema.json", "tenant.schema.json")}
    repos = [("example repository", ROOT)]
    for case in SCHEMA_CASES:
        repo = ROOT / "tests" / "corpus" / case
        if not repo.is_dir():
            sys.exit(f"missing corpus case {repo}")
        repos.append((f"corpus/{case}", repo))

    disagreements = 0
    counts = {"valid": 0, "invalid": 0}
    for label, repo in repos:
        errors = cxqueues_errors(binary, repo)
        files = files_of(repo)
        if not files:
            sys.exit(f"{label}: no YAML file found")
        for rel, schema in files:
            problems = python_problems(repo / rel, validators[schema])
            py_valid = not problems
            cx_valid = rel not in errors
            verdict = "valid" if py_valid else "invalid"
            if py_valid == cx_valid:
                counts[verdict] += 1
                print(f"agree    {label}: {rel}: {verdict}")
            else:
                disagreements += 1
                print(f"DISAGREE {label}: {rel}")
                print(f"  python jsonschema: {verdict} {problems}")
                print(f"  cxqueues validate: {'valid' if cx_valid else 'invalid'} {errors.get(rel, [])}")
        # A file that cxqueues reports on but python never saw would escape the comparison.
        unseen = set(errors) - {rel for rel, _ in files}
        if unseen:
            disagreements += 1
            print(f"DISAGREE {label}: cxqueues reports errors in files not compared: {sorted(unseen)}")

    total = counts["valid"] + counts["invalid"]
    if counts["valid"] == 0 or counts["invalid"] == 0:
        sys.exit(f"vacuous comparison: {counts}")
    if disagreements:
        print(f"{disagreements} disagreements, {total} files agree")
        sys.exit(1)
    print(f"ok: {total} files agree ({counts['valid']} valid, {counts['invalid']} invalid)")


if __name__ == "__main__":
    main()
