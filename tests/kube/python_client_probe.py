#!/usr/bin/python3
"""Probes the fake API server with the official Kubernetes Python client.

Usage: python_client_probe.py KUBECONFIG WRONG_TOKEN_KUBECONFIG

Run by tests/kube/real_clients_test.cpp with Debian's python3 and its
python3-kubernetes package. Prints "ok <probe>" for each probe that passed and
stops at the first that fails (exit status 1, with the reason on stderr), so
the test names what broke.
"""
import sys
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NS = "default"


def job(name, labels, duration_ms=1500):
    return client.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=client.V1ObjectMeta(
            name=name,
            labels=labels,
            annotations={"fake.synergai.io/duration-ms": str(duration_ms)},
        ),
        spec=client.V1JobSpec(
            backoff_limit=0,
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    restart_policy="Never",
                    containers=[client.V1Container(name="engine", image="synergai-engine:probe")],
                ),
            ),
        ),
    )


def api_error(call):
    try:
        call()
    except ApiException as e:
        return e
    raise AssertionError("expected an ApiException")


def ok(name):
    print("ok", name, flush=True)


def complete(j):
    return any(c.type == "Complete" and c.status == "True" for c in (j.status.conditions or []))


def main(kubeconfig, wrong_kubeconfig):
    api_client = config.new_client_from_config(config_file=kubeconfig)
    batch = client.BatchV1Api(api_client)
    core = client.CoreV1Api(api_client)

    created = batch.create_namespaced_job(NS, job("py-probe", {"app": "py", "probe": "watch"}))
    assert created.metadata.uid, "created Job has no uid"
    ok("create")

    got = batch.read_namespaced_job("py-probe", NS)
    assert got.metadata.uid == created.metadata.uid, (got.metadata.uid, created.metadata.uid)
    ok("get")

    names = lambda sel: [j.metadata.name for j in batch.list_namespaced_job(NS, label_selector=sel).items]
    assert names("app=py") == ["py-probe"], names("app=py")
    assert names("app in (py, other)") == ["py-probe"], names("app in (py, other)")
    assert "py-probe" not in names("app notin (py)"), names("app notin (py)")
    assert names("app=py,!missing") == ["py-probe"]
    ok("list-label-selector")

    # Watch from the list's resourceVersion until the Job completes. The
    # client sends watch=True: the server must stream, not list.
    listed = batch.list_namespaced_job(NS, label_selector="probe=watch")
    seen = []
    w = watch.Watch()
    deadline = time.time() + 30
    for event in w.stream(batch.list_namespaced_job, NS, label_selector="probe=watch",
                          resource_version=listed.metadata.resource_version, timeout_seconds=30):
        seen.append(event["type"])
        if complete(event["object"]) or time.time() > deadline:
            w.stop()
    assert seen and seen[-1] == "MODIFIED", seen
    assert complete(batch.read_namespaced_job("py-probe", NS)), "the Job did not complete"
    ok("watch-until-complete")

    for i in range(3):
        batch.create_namespaced_job(NS, job(f"py-page-{i}", {"app": "page"}, duration_ms=50))
    first = batch.list_namespaced_job(NS, label_selector="app=page", limit=2)
    assert len(first.items) == 2 and first.metadata._continue, (len(first.items), first.metadata._continue)
    rest = batch.list_namespaced_job(NS, label_selector="app=page", limit=2, _continue=first.metadata._continue)
    assert [j.metadata.name for j in first.items + rest.items] == ["py-page-0", "py-page-1", "py-page-2"]
    assert not rest.metadata._continue, rest.metadata._continue
    ok("list-pages")

    by_name = batch.list_namespaced_job(NS, field_selector="metadata.name=py-page-1")
    assert [j.metadata.name for j in by_name.items] == ["py-page-1"], by_name.items
    ok("list-field-selector")

    e = api_error(lambda: batch.create_namespaced_job(NS, job("py-probe", {"app": "py"})))
    assert e.status == 409, e.status
    ok("conflict-409")

    bad = job("py-invalid", {"app": "py"})
    bad.spec.template.spec.containers = []
    e = api_error(lambda: batch.create_namespaced_job(NS, bad))
    assert e.status == 422 and "spec.template.spec.containers" in e.body, (e.status, e.body)
    ok("invalid-422")

    wrong = client.BatchV1Api(config.new_client_from_config(config_file=wrong_kubeconfig))
    e = api_error(lambda: wrong.list_namespaced_job(NS))
    assert e.status == 401, e.status
    ok("unauthorized-401")

    # Foreground and Background take the pod with the Job; Orphan leaves it.
    pods_of = lambda name: core.list_namespaced_pod(NS, label_selector=f"job-name={name}").items
    assert pods_of("py-probe"), "the Job has no pod"
    status = batch.delete_namespaced_job("py-probe", NS, propagation_policy="Foreground")
    assert status.status == "Success", status
    assert api_error(lambda: batch.read_namespaced_job("py-probe", NS)).status == 404
    assert not pods_of("py-probe"), "Foreground deletion left the pod"
    batch.delete_namespaced_job("py-page-0", NS, propagation_policy="Orphan")
    orphan = pods_of("py-page-0")
    assert orphan and not orphan[0].metadata.owner_references, "Orphan deletion did not keep an ownerless pod"
    e = api_error(lambda: batch.delete_namespaced_job("py-page-1", NS, propagation_policy="Sideways"))
    assert e.status == 422, e.status
    ok("delete-propagation")

    # The test compacted the server's history before this script started.
    def watch_from_start():
        for _ in watch.Watch().stream(batch.list_namespaced_job, NS, resource_version="1", timeout_seconds=5):
            pass
    e = api_error(watch_from_start)
    assert e.status == 410, e.status
    ok("gone-410")


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except Exception as e:  # report, then fail: the test names the probe that did not print ok
        print(f"probe failed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
