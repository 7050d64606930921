"""infra/compose.yaml against the Compose schema and against semstream's settings and ports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import AliasChoices

from semstream.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
RAY_SERVICES = ("ray-head", "ray-worker")
RAY_OWN_ENV = {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"}  # Ray's token authentication, not semstream settings
INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def setting_env_names() -> set[str]:
    """Every environment variable semstream.config.Settings reads."""
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(c for c in alias.choices if isinstance(c, str))
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"SEMSTREAM_{field_name.upper()}")
    return names


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error}: defaults kept, required values a placeholder."""
    return INTERPOLATION.sub(lambda m: m.group(3) if m.group(2) in (":-", "-") else f"from-{m.group(1)}", value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def env_of(compose: dict, service: str) -> dict[str, str]:
    return {k: str(v) for k, v in compose["services"][service].get("environment", {}).items()}


def command_of(compose: dict, service: str) -> str:
    command = compose["services"][service]["command"]
    return " ".join(command) if isinstance(command, list) else command


def flag(command: str, name: str) -> str:
    found = re.search(rf"--{name}[= ](\S+)", command)
    assert found, f"--{name} missing from {command!r}"
    return found.group(1)


def test_compose_validates_against_the_compose_specification(compose: dict) -> None:
    schema = json.loads((INFRA / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors
    broken = {**compose, "services": {**compose["services"], "kafka": {**compose["services"]["kafka"], "imagee": "x"}}}
    assert list(validator.iter_errors(broken)), "the schema must reject an unknown service key"


def test_the_stack_has_every_part(compose: dict) -> None:
    assert set(compose["services"]) == {"kafka", "qdrant", *RAY_SERVICES, "prometheus", "grafana"}
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert compose["services"]["qdrant"]["image"].startswith("qdrant/qdrant:")


@pytest.mark.parametrize("service", RAY_SERVICES)
def test_semstream_services_use_only_real_setting_names(compose: dict, service: str) -> None:
    env = env_of(compose, service)
    unknown = set(env) - setting_env_names() - RAY_OWN_ENV
    assert not unknown, f"{service}: not semstream settings: {sorted(unknown)}"
    assert {"SEMSTREAM_KAFKA_BOOTSTRAP", "SEMSTREAM_QDRANT_URL", "SEMSTREAM_QDRANT_API_KEY"} <= set(env)


def test_no_other_service_sets_semstream_variables(compose: dict) -> None:
    for name, service in compose["services"].items():
        if name not in RAY_SERVICES:
            assert not [k for k in service.get("environment", {}) if k.startswith("SEMSTREAM_")], name


@pytest.mark.parametrize("service", RAY_SERVICES)
def test_semstream_env_values_are_valid_settings(compose: dict, service: str, monkeypatch) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("SEMSTREAM_") or n == "RAY_ADDRESS"]:
        monkeypatch.delenv(name)
    env = {k: interpolate(v) for k, v in env_of(compose, service).items()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.qdrant_url == "http://qdrant:6333"
    assert settings.qdrant_api_key is not None and settings.api_key is not None
    assert settings.http_host == "0.0.0.0"
    assert settings.ingest_workers == settings.topic_partitions  # one consumer per partition


def test_the_head_and_workers_share_one_semstream_environment(compose: dict) -> None:
    head, worker = env_of(compose, "ray-head"), env_of(compose, "ray-worker")
    assert {k: v for k, v in head.items() if k != "RAY_ADDRESS"} == worker
    assert head["RAY_ADDRESS"] == f"127.0.0.1:{flag(command_of(compose, 'ray-head'), 'port')}"


def test_kafka_bootstrap_is_an_advertised_listener(compose: dict) -> None:
    kafka = env_of(compose, "kafka")
    advertised = dict(re.findall(r"(\w+)://([^,]+)", kafka["KAFKA_ADVERTISED_LISTENERS"]))
    listeners = dict(re.findall(r"(\w+)://[^:,]*:(\d+)", kafka["KAFKA_LISTENERS"]))
    bootstrap = env_of(compose, "ray-head")["SEMSTREAM_KAFKA_BOOTSTRAP"]
    name = next(n for n, address in advertised.items() if address == bootstrap)
    assert listeners[name] == bootstrap.rsplit(":", 1)[1]
    assert bootstrap.split(":")[0] == compose["services"]["kafka"]["hostname"]
    protocols = dict(p.split(":") for p in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert protocols[name] == env_of(compose, "ray-head")["SEMSTREAM_KAFKA_SECURITY_PROTOCOL"]
    voter = kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")[1]
    assert voter.rsplit(":", 1)[1] == listeners[kafka["KAFKA_CONTROLLER_LISTENER_NAMES"]]
    assert kafka["KAFKA_NODE_ID"] == kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")[0]


def _container_ports(service: dict) -> set[int]:
    ports = {int(str(p).rsplit(":", 1)[-1]) for p in service.get("ports", [])}
    return ports | {int(p) for p in service.get("expose", [])}


def test_ports_match_the_settings(compose: dict) -> None:
    env = env_of(compose, "ray-head")
    head = compose["services"]["ray-head"]
    defaults = Settings()
    assert int(env["SEMSTREAM_HTTP_PORT"]) in _container_ports(head)
    assert int(flag(command_of(compose, "ray-head"), "dashboard-port")) == defaults.ray_dashboard_port
    assert defaults.ray_dashboard_port in _container_ports(head)
    assert f":{env['SEMSTREAM_HTTP_PORT']}/readyz" in " ".join(head["healthcheck"]["test"])
    qdrant_port = int(env["SEMSTREAM_QDRANT_URL"].rsplit(":", 1)[1])
    assert qdrant_port in _container_ports(compose["services"]["qdrant"])
    assert env["SEMSTREAM_QDRANT_URL"].split("//")[1].split(":")[0] in compose["services"]


def test_workers_join_the_head(compose: dict) -> None:
    head_port = flag(command_of(compose, "ray-head"), "port")
    assert flag(command_of(compose, "ray-worker"), "address") == f"{compose['services']['ray-head']['hostname']}:{head_port}"
    assert "--block" in command_of(compose, "ray-worker")
    assert command_of(compose, "ray-head").rstrip().endswith("exec semstream up")


def test_prometheus_scrapes_every_ray_node_on_its_metrics_port(compose: dict) -> None:
    prometheus = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prometheus["scrape_configs"]}
    head_port = flag(command_of(compose, "ray-head"), "metrics-export-port")
    worker_port = flag(command_of(compose, "ray-worker"), "metrics-export-port")
    assert jobs["ray-head"]["static_configs"][0]["targets"] == [f"ray-head:{head_port}"]
    dns = jobs["ray-workers"]["dns_sd_configs"][0]
    assert dns["names"] == ["ray-worker"] and str(dns["port"]) == worker_port
    for service, port in (("ray-head", head_port), ("ray-worker", worker_port)):
        assert int(port) in _container_ports(compose["services"][service])
    mounted = compose["services"]["prometheus"]["volumes"][0].split(":")
    assert (INFRA / mounted[0]).resolve() == INFRA / "prometheus" / "prometheus.yml"


def test_grafana_is_provisioned_with_the_dashboard_and_its_datasource(compose: dict) -> None:
    mounts = [v.split(":") for v in compose["services"]["grafana"]["volumes"] if v.startswith("./")]
    for source, _target, *_ in mounts:
        assert (INFRA / source).exists(), source
    dashboards_at = next(t for s, t, *_ in mounts if s.endswith("semstream-dashboard.json"))
    provider = yaml.safe_load((INFRA / "grafana/provisioning/dashboards/semstream.yaml").read_text())
    assert Path(dashboards_at).parent.as_posix() == provider["providers"][0]["options"]["path"]
    datasource = yaml.safe_load((INFRA / "grafana/provisioning/datasources/prometheus.yaml").read_text())
    dashboard = json.loads((INFRA / "grafana/semstream-dashboard.json").read_text())
    uids = {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p}
    assert uids == {datasource["datasources"][0]["uid"]}
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_secrets_come_from_the_env_file_and_are_shared(compose: dict) -> None:
    text = (INFRA / "compose.yaml").read_text()
    required = {m.group(1) for m in INTERPOLATION.finditer(text)}
    example = dict(line.split("=", 1) for line in (INFRA / "env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert required <= set(example), f"not in infra/env.example: {required - set(example)}"
    key_var = INTERPOLATION.match(env_of(compose, "qdrant")["QDRANT__SERVICE__API_KEY"]).group(1)
    assert INTERPOLATION.match(env_of(compose, "ray-head")["SEMSTREAM_QDRANT_API_KEY"]).group(1) == key_var
    for name in ("SEMSTREAM_QDRANT_API_KEY", "SEMSTREAM_API_KEY", "RAY_AUTH_TOKEN"):
        assert INTERPOLATION.fullmatch(env_of(compose, "ray-head")[name]).group(2) == ":?", f"{name} must be required"
