"""Offline tests of the cxqueues Helm chart (run by .ci/run).

Renders the chart with each values file under ``cxqueues/ci/`` through Helm's own SDK
(PyPI ``helm-python-sdk``), lints it, validates every rendered object with
``kubernetes-validate --strict`` for the oldest and the newest Kubernetes version that package
knows, validates the ServiceMonitor against ``servicemonitor.schema.json`` (kept here: it is
not a built-in kind), and asserts what the chart promises. Prints ``N passed, N failed`` and
exits non-zero on any failure.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import all_versions
from packaging.version import Version

HERE = Path(__file__).resolve().parent
CHART = HERE.parent / "cxqueues"
VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
RELEASE = "tenant-a"
NAMESPACE = "contact-center"
SHUTDOWN_GRACE_DEFAULT = 30

LEASE_RULES = [
    {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "verbs": ["get", "create", "update"],
    }
]


def values_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def render(values: dict) -> list[dict]:
    with helm.Chart.load(CHART) as chart:
        out = chart.render(values=values, name=RELEASE, namespace=NAMESPACE)
    objects = []
    for name, text in sorted(out.items()):
        if not name.endswith(".yaml"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc.setdefault("metadata", {}).setdefault("namespace", NAMESPACE)
                objects.append(doc)
    return objects


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict], kind: str) -> dict:
    found = by_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def workload(objects: list[dict]) -> dict:
    found = by_kind(objects, "Deployment") + by_kind(objects, "StatefulSet")
    assert len(found) == 1, f"expected one workload, found {[o['kind'] for o in found]}"
    return found[0]


def container(objects: list[dict]) -> dict:
    pod = workload(objects)["spec"]["template"]["spec"]
    assert len(pod["containers"]) == 1
    return pod["containers"][0]


def keys_anywhere(node, key: str) -> list:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                found.append(v)
            found.extend(keys_anywhere(v, key))
    elif isinstance(node, list):
        for v in node:
            found.extend(keys_anywhere(v, key))
    return found


def kube_versions() -> list[str]:
    versions = sorted(all_versions(), key=Version)
    return [versions[0], versions[-1]]


# --- the checks, each over every values file unless it names its own -------------------------


def every_object_is_valid_for_the_oldest_and_newest_kubernetes(objects, _values):
    for version in kube_versions():
        for o in objects:
            if o["kind"] == "ServiceMonitor":
                continue
            kubernetes_validate.validate(o, version, strict=True)


def the_service_monitor_matches_the_schema_we_keep(objects, values):
    schema = json.loads((HERE / "servicemonitor.schema.json").read_text())
    monitors = by_kind(objects, "ServiceMonitor")
    wanted = values.get("serviceMonitor", {}).get("enabled", False)
    assert len(monitors) == (1 if wanted else 0), monitors
    for m in monitors:
        jsonschema.validate(m, schema)
        assert m["spec"]["endpoints"][0]["path"] == "/metrics"


def the_chart_lints_without_warnings(_objects, values):
    report = helm.lint(CHART, values, strict=True, namespace=NAMESPACE)
    serious = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not serious, report


def one_replica_is_a_deployment_that_recreates(objects, values):
    replicas = values.get("replicaCount", 1)
    w = workload(objects)
    if replicas == 1:
        assert w["kind"] == "Deployment", w["kind"]
        assert w["spec"]["replicas"] == 1
        assert w["spec"]["strategy"] == {"type": "Recreate"}, w["spec"].get("strategy")
        assert not by_kind(objects, "PodDisruptionBudget"), "no PDB for one replica"
    else:
        assert w["kind"] == "StatefulSet", w["kind"]
        assert w["spec"]["replicas"] == replicas
        assert one(objects, "PodDisruptionBudget")["spec"]["minAvailable"] == 1


def the_role_allows_leases_get_create_update_and_nothing_else(objects, values):
    elect = values.get("leaderElection", {}).get("enabled", False)
    roles = by_kind(objects, "Role")
    assert not by_kind(objects, "ClusterRole"), "no cluster-wide rights"
    if not elect:
        assert not roles, "no Role without leader election"
        return
    assert len(roles) == 1
    assert roles[0]["rules"] == LEASE_RULES, roles[0]["rules"]
    binding = one(objects, "RoleBinding")
    sa = one(objects, "ServiceAccount")["metadata"]["name"]
    assert binding["roleRef"]["name"] == roles[0]["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}]
    args = container(objects)["args"]
    assert "--leader-elect" in args, args
    assert any(a.startswith("--leader-elect-lease-name=") for a in args), args


def the_probes_ask_healthz_and_readyz_on_the_served_port(objects, _values):
    c = container(objects)
    port = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert port == {"http": 9464}, port
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert "--listen=0.0.0.0:9464" in c["args"]
    assert "--status-requires-token" in c["args"]


def nothing_is_privileged_and_everything_runs_as_non_root(objects, _values):
    for o in objects:
        assert keys_anywhere(o, "privileged") == [], f"{o['kind']} has a privileged field"
        for host in ("hostNetwork", "hostPID", "hostIPC", "hostPath"):
            assert keys_anywhere(o, host) == [], f"{o['kind']} has {host}"
    pod = workload(objects)["spec"]["template"]["spec"]
    c = container(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    tmp = [v for v in pod["volumes"] if v["name"] == "tmp"]
    assert tmp == [{"name": "tmp", "emptyDir": {}}], "an emptyDir for /tmp"
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]


def the_grace_period_outlasts_the_shutdown_grace(objects, values):
    grace = values.get("shutdownGraceSeconds", SHUTDOWN_GRACE_DEFAULT)
    pod = workload(objects)["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > grace
    assert f"--shutdown-grace={grace}s" in container(objects)["args"]


def the_state_volume_follows_persistence(objects, values):
    persist = values.get("persistence", {}).get("enabled", True)
    w = workload(objects)
    pod = w["spec"]["template"]["spec"]
    state = [v for v in pod.get("volumes", []) if v["name"] == "state"]
    claims = by_kind(objects, "PersistentVolumeClaim")
    if not persist:
        assert state == [{"name": "state", "emptyDir": {}}], state
        assert not claims and "volumeClaimTemplates" not in w["spec"]
    elif w["kind"] == "StatefulSet":
        assert not state and not claims, "one claim per pod, from the template"
        assert w["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "state"
    else:
        assert len(claims) == 1
        assert state[0]["persistentVolumeClaim"]["claimName"] == claims[0]["metadata"]["name"]


def the_network_policy_is_ingress_only(objects, _values):
    for p in by_kind(objects, "NetworkPolicy"):
        assert p["spec"]["policyTypes"] == ["Ingress"], p["spec"]["policyTypes"]
        assert "egress" not in p["spec"]


def the_ingress_exposes_only_the_github_hook(objects, _values):
    for i in by_kind(objects, "Ingress"):
        paths = [p for rule in i["spec"]["rules"] for p in rule["http"]["paths"]]
        assert [(p["path"], p["pathType"]) for p in paths] == [("/v1/hooks/github", "Exact")]


def scheduled_optimization_follows_the_optimize_values(objects, values):
    args = container(objects)["args"]
    opt = values.get("optimize", {})
    if not opt.get("every"):
        assert not [a for a in args if a.startswith("--optimize")], args
        return
    assert f"--optimize-every={opt['every']}" in args, args
    assert f"--optimize-branch={opt.get('branch', 'cxqueues-optimize')}" in args, args
    if opt.get("author"):
        assert f"--optimize-author={opt['author']}" in args, args


CHECKS = [
    every_object_is_valid_for_the_oldest_and_newest_kubernetes,
    the_service_monitor_matches_the_schema_we_keep,
    the_chart_lints_without_warnings,
    one_replica_is_a_deployment_that_recreates,
    the_role_allows_leases_get_create_update_and_nothing_else,
    the_probes_ask_healthz_and_readyz_on_the_served_port,
    nothing_is_privileged_and_everything_runs_as_non_root,
    the_grace_period_outlasts_the_shutdown_grace,
    the_state_volume_follows_persistence,
    the_network_policy_is_ingress_only,
    the_ingress_exposes_only_the_github_hook,
    scheduled_optimization_follows_the_optimize_values,
]


# --- checks of the values schema ---------------------------------------------------------------


def expect_schema_error(values: dict, needle: str) -> None:
    try:
        render(values)
    except helm.HelmError as e:
        assert needle in str(e), str(e)
        return
    raise AssertionError(f"rendered without a schema error: {values}")


def two_replicas_without_leader_election_fail_the_schema():
    expect_schema_error(
        {"git": {"url": "https://github.com/example/queues.git"}, "replicaCount": 2},
        "leaderElection",
    )


def a_missing_git_url_fails_the_schema():
    expect_schema_error({}, "url")


def a_root_security_context_fails_the_schema():
    expect_schema_error(
        {
            "git": {"url": "https://github.com/example/queues.git"},
            "podSecurityContext": {"runAsNonRoot": False},
        },
        "runAsNonRoot",
    )


def an_optimize_author_without_an_email_fails_the_schema():
    expect_schema_error(
        {
            "git": {"url": "https://github.com/example/queues.git"},
            "optimize": {"every": "30m", "author": "just a name"},
        },
        "author",
    )


def a_zero_optimize_period_fails_the_schema():
    expect_schema_error(
        {
            "git": {"url": "https://github.com/example/queues.git"},
            "optimize": {"every": "0s"},
        },
        "every",
    )


SCHEMA_CHECKS = [
    two_replicas_without_leader_election_fail_the_schema,
    a_missing_git_url_fails_the_schema,
    a_root_security_context_fails_the_schema,
    an_optimize_author_without_an_email_fails_the_schema,
    a_zero_optimize_period_fails_the_schema,
]


def outcome(name: str, check) -> bool:
    """Runs one check; prints ok or FAIL with the traceback."""
    try:
        check()
    except Exception:  # noqa: BLE001 - every failure is reported and counted
        print(f"FAIL {name}")
        traceback.print_exc()
        return False
    print(f"ok   {name}")
    return True


def main() -> int:
    assert len(VALUES) >= 3, f"at least three values files, found {VALUES}"
    results = []
    for path in VALUES:
        values = values_of(path)
        try:
            objects = render(values)
        except Exception:  # noqa: BLE001 - reported as a failure of every check
            traceback.print_exc()
            results += [False] * len(CHECKS)
            continue
        for check in CHECKS:
            results.append(
                outcome(f"{path.name}: {check.__name__}", lambda c=check: c(objects, values))
            )
    results += [outcome(check.__name__, check) for check in SCHEMA_CHECKS]
    passed, failed = results.count(True), results.count(False)
    print(f"chart: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
