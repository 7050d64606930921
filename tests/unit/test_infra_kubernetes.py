"""The Kubernetes manifests (KubeRay RayService, Strimzi Kafka, Qdrant Helm values) against the code:
settings names and values, the Serve import path, topics and partitions, ports and secrets."""

from __future__ import annotations

import copy
import importlib
import os
from pathlib import Path, PurePosixPath

import pytest
import yaml
from pydantic import AliasChoices

from semstream.config import Settings, load_settings
from semstream.deployments import app as serve_app
from semstream.topics.registry import all_topics, entity_topics

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
SCALE_KEYS = ("min_replicas", "initial_replicas", "max_replicas")  # may be sized per environment


def docs(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((INFRA / path).read_text()) if d]


def one(path: str, kind: str, name: str | None = None) -> dict:
    found = [d for d in docs(path) if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"{path}: expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def setting_env_names() -> set[str]:
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(c for c in alias.choices if isinstance(c, str))
        else:
            names.add(f"SEMSTREAM_{field_name.upper()}")
    return names


@pytest.fixture(scope="module")
def rayservice() -> dict:
    return one("kuberay/rayservice.yaml", "RayService")


@pytest.fixture(scope="module")
def config_env() -> dict[str, str]:
    return one("kuberay/rayservice.yaml", "ConfigMap", "semstream-config")["data"]


@pytest.fixture
def cluster_settings(config_env: dict[str, str], monkeypatch) -> Settings:
    """Settings as a Ray pod reads them: the ConfigMap plus placeholder secrets."""
    for name in [n for n in os.environ if n.startswith("SEMSTREAM_") or n == "RAY_ADDRESS"]:
        monkeypatch.delenv(name)
    for name, value in config_env.items():
        monkeypatch.setenv(name, value)
    for name in ("SEMSTREAM_KAFKA_SASL_PASSWORD", "SEMSTREAM_QDRANT_API_KEY", "SEMSTREAM_API_KEY"):
        monkeypatch.setenv(name, "from-secret")
    return load_settings()


def groups(rayservice: dict) -> list[dict]:
    cluster = rayservice["spec"]["rayClusterConfig"]
    return [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]


def container(group: dict) -> dict:
    return group["template"]["spec"]["containers"][0]


def serve_config(rayservice: dict) -> dict:
    return yaml.safe_load(rayservice["spec"]["serveConfigV2"])


def comparable(applications: list[dict]) -> list[dict]:
    """Applications without the per-environment replica bounds and GPU shares."""
    apps = copy.deepcopy(applications)
    for deployment in (d for a in apps for d in a.get("deployments", [])):
        for key in SCALE_KEYS:
            deployment.get("autoscaling_config", {}).pop(key, None)
        deployment.get("ray_actor_options", {}).pop("num_gpus", None)
    return apps


# --- RayService ---------------------------------------------------------------------------------

def test_the_rayservice_serves_the_applications_of_serve_config(rayservice: dict) -> None:
    local = yaml.safe_load((INFRA / "serve_config.yaml").read_text())
    cluster = serve_config(rayservice)
    assert comparable(cluster["applications"]) == comparable(local["applications"])
    assert cluster["http_options"] == {"host": "0.0.0.0", "port": 8000}


@pytest.mark.parametrize("source", ["kuberay", "serve_config"])
def test_every_serve_import_path_resolves_to_an_app_builder(rayservice: dict, source: str) -> None:
    config = serve_config(rayservice) if source == "kuberay" else yaml.safe_load((INFRA / "serve_config.yaml").read_text())
    for application in config["applications"]:
        module_name, attribute = application["import_path"].split(":")
        builder = getattr(importlib.import_module(module_name), attribute)
        assert callable(builder)
        assert set(application.get("args", {})) <= set(Settings.model_fields)
        load_settings(**application.get("args", {}))  # the args are valid setting values


def test_deployment_names_are_the_ones_the_app_builds(rayservice: dict) -> None:
    built = set(serve_app._SHAPE) | {serve_app.RANKING}
    for application in serve_config(rayservice)["applications"]:
        assert {d["name"] for d in application["deployments"]} == built


def test_replica_bounds_are_ordered_and_ranking_can_fill_a_batch(rayservice: dict) -> None:
    for application in serve_config(rayservice)["applications"]:
        for deployment in application["deployments"]:
            scale = deployment["autoscaling_config"]
            assert 1 <= scale["min_replicas"] <= scale["initial_replicas"] <= scale["max_replicas"]
        ranking = next(d for d in application["deployments"] if d["name"] == serve_app.RANKING)
        assert ranking["max_ongoing_requests"] >= application["args"]["serve_rank_batch_size"]


def test_autoscaling_and_groups_with_resources(rayservice: dict) -> None:
    cluster = rayservice["spec"]["rayClusterConfig"]
    assert rayservice["apiVersion"] == "ray.io/v1"
    assert cluster["enableInTreeAutoscaling"] is True
    assert cluster["authOptions"] == {"mode": "token"}
    for group in cluster["workerGroupSpecs"]:
        assert 0 <= group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
    for group in groups(rayservice):
        resources = container(group)["resources"]
        assert resources["requests"]["cpu"] and resources["limits"]["memory"]
    gpu_note = (INFRA / "kuberay" / "rayservice.yaml").read_text()
    assert "#             limits: {cpu: \"8\", memory: 32Gi, nvidia.com/gpu: \"1\"}" in gpu_note


def test_every_ray_pod_reads_only_real_settings(rayservice: dict, config_env: dict[str, str]) -> None:
    known = setting_env_names()
    assert set(config_env) <= known, f"not settings: {sorted(set(config_env) - known)}"
    for group in groups(rayservice):
        c = container(group)
        assert [s["configMapRef"]["name"] for s in c["envFrom"]] == ["semstream-config"]
        names = {e["name"] for e in c["env"]}
        assert names <= known, f"not settings: {sorted(names - known)}"
        assert {"SEMSTREAM_KAFKA_SASL_PASSWORD", "SEMSTREAM_QDRANT_API_KEY", "SEMSTREAM_API_KEY"} <= names
        assert all("secretKeyRef" in e["valueFrom"] for e in c["env"]), "credentials come from Secrets"


def test_the_configmap_values_are_valid_settings(cluster_settings: Settings) -> None:
    s = cluster_settings
    assert s.kafka_security_protocol == "SASL_SSL" and s.kafka_sasl_mechanism == "SCRAM-SHA-512"
    options = s.kafka_client_options()
    assert options["sasl_plain_username"] == s.kafka_sasl_username and options["ssl_cafile"]
    assert s.ingest_workers == s.topic_partitions
    assert s.http_host == "0.0.0.0" and s.qdrant_url and s.data_dir.is_absolute()


def test_ports_on_every_ray_pod(rayservice: dict, cluster_settings: Settings) -> None:
    head = {p["name"]: p["containerPort"] for p in container(groups(rayservice)[0])["ports"]}
    assert head["serve"] == cluster_settings.http_port == serve_config(rayservice)["http_options"]["port"]
    assert head["dashboard"] == Settings().ray_dashboard_port and head["gcs-server"] == 6379
    monitor = one("kuberay/podmonitor.yaml", "PodMonitor")
    port_name = monitor["spec"]["podMetricsEndpoints"][0]["port"]
    for group in groups(rayservice):
        ports = {p["name"]: p["containerPort"] for p in container(group)["ports"]}
        assert ports[port_name] == 8080  # KubeRay's default --metrics-export-port
    labels = groups(rayservice)[0]["template"]["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == labels["app.kubernetes.io/name"]


def test_the_kafka_ca_is_mounted_where_the_setting_points(rayservice: dict, cluster_settings: Settings) -> None:
    cafile = PurePosixPath(str(cluster_settings.kafka_ssl_cafile))
    kafka = one("kafka/strimzi.yaml", "Kafka")
    volumes = {v["name"]: v for v in groups(rayservice)[0]["template"]["spec"]["volumes"]}
    for group in groups(rayservice):
        mount = next(m for m in container(group)["volumeMounts"] if m["mountPath"] == str(cafile.parent))
        secret = {v["name"]: v for v in group["template"]["spec"]["volumes"]}[mount["name"]]["secret"]
        assert secret["secretName"] == f"{kafka['metadata']['name']}-cluster-ca-cert"
        assert secret["items"] == [{"key": "ca.crt", "path": cafile.name}]
    assert volumes


# --- Kafka (Strimzi) ----------------------------------------------------------------------------

def test_kafka_topics_equal_the_registry_defaults() -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in docs("kafka/strimzi.yaml") if t["kind"] == "KafkaTopic"}
    expected = {t.name: t.partitions for t in all_topics(Settings())}
    assert {name: spec["partitions"] for name, spec in topics.items()} == expected


def test_kafka_topics_match_what_the_pods_would_create(cluster_settings: Settings) -> None:
    topics = [t["spec"] for t in docs("kafka/strimzi.yaml") if t["kind"] == "KafkaTopic"]
    assert {t["topicName"]: t["partitions"] for t in topics} == {t.name: t.partitions for t in all_topics(cluster_settings)}
    assert {t["replicas"] for t in topics} == {cluster_settings.topic_replication_factor}
    kafka = one("kafka/strimzi.yaml", "Kafka")["spec"]["kafka"]
    assert kafka["config"]["min.insync.replicas"] < cluster_settings.topic_replication_factor
    for doc in docs("kafka/strimzi.yaml"):
        if doc["kind"] != "Kafka":
            assert doc["metadata"]["labels"]["strimzi.io/cluster"] == one("kafka/strimzi.yaml", "Kafka")["metadata"]["name"]


def test_the_bootstrap_is_the_strimzi_listener_the_settings_describe(cluster_settings: Settings) -> None:
    kafka = one("kafka/strimzi.yaml", "Kafka")
    host, port = cluster_settings.kafka_bootstrap.split(":")
    assert host == f"{kafka['metadata']['name']}-kafka-bootstrap"
    listener = next(x for x in kafka["spec"]["kafka"]["listeners"] if str(x["port"]) == port)
    assert listener["tls"] is (cluster_settings.kafka_security_protocol in ("SSL", "SASL_SSL"))
    assert listener["authentication"]["type"] == cluster_settings.kafka_sasl_mechanism.lower()
    pools = [p for p in docs("kafka/strimzi.yaml") if p["kind"] == "KafkaNodePool"]
    assert pools and {"controller", "broker"} <= {r for p in pools for r in p["spec"]["roles"]}  # KRaft


def test_the_kafka_user_is_the_sasl_user_with_enough_acls(rayservice: dict, cluster_settings: Settings) -> None:
    user = one("kafka/strimzi.yaml", "KafkaUser")
    assert user["metadata"]["name"] == cluster_settings.kafka_sasl_username
    assert user["spec"]["authentication"]["type"] == cluster_settings.kafka_sasl_mechanism.lower()
    acls = {(a["resource"]["type"], a["resource"]["name"]): set(a["operations"]) for a in user["spec"]["authorization"]["acls"]}
    for topic in all_topics(cluster_settings):
        assert {"Describe", "Write"} <= acls[("topic", topic.name)]
    for topic in entity_topics():
        assert "Read" in acls[("topic", topic)]
    assert "Read" in acls[("group", cluster_settings.consumer_group)]
    password = next(e for e in container(groups(rayservice)[0])["env"] if e["name"] == "SEMSTREAM_KAFKA_SASL_PASSWORD")
    assert password["valueFrom"]["secretKeyRef"] == {"name": user["metadata"]["name"], "key": "password"}


# --- Qdrant (Helm values) -----------------------------------------------------------------------

def test_qdrant_url_and_api_key_point_at_the_helm_release(rayservice: dict, cluster_settings: Settings) -> None:
    values = docs("qdrant/values.yaml")[0]
    host, port = cluster_settings.qdrant_url.split("//")[1].split(":")
    assert host == "semstream-qdrant" and "helm -n semstream install semstream-qdrant" in (INFRA / "qdrant/values.yaml").read_text()
    http = next(p for p in values["service"]["ports"] if p["name"] == "http")
    assert int(port) == http["port"] == 6333
    server_key = next(e for e in values["env"] if e["name"] == "QDRANT__SERVICE__API_KEY")["valueFrom"]["secretKeyRef"]
    client_key = next(e for e in container(groups(rayservice)[0])["env"] if e["name"] == "SEMSTREAM_QDRANT_API_KEY")
    assert client_key["valueFrom"]["secretKeyRef"] == server_key
    assert values["apiKey"] is False and values["replicaCount"] >= 1
    assert values["persistence"]["size"]
