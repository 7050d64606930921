import pytest

from semstream.config import load_settings
from semstream.errors import ConfigError


def test_defaults_are_embedded():
    s = load_settings()
    assert s.kafka_bootstrap is None and s.qdrant_url is None
    assert s.http_port == 8000


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("SEMSTREAM_KAFKA_BOOTSTRAP", "kafka-0:9092")
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    s = load_settings()
    assert s.kafka_bootstrap == "kafka-0:9092"
    assert s.ray_address == "ray://head:10001"


def test_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("SEMSTREAM_HTTP_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="SEMSTREAM_HTTP_PORT"):
        load_settings()


def test_out_of_range_names_the_variable(monkeypatch):
    monkeypatch.setenv("SEMSTREAM_TOPIC_PARTITIONS", "0")
    with pytest.raises(ConfigError, match="SEMSTREAM_TOPIC_PARTITIONS"):
        load_settings()


def test_secrets_do_not_print(monkeypatch):
    monkeypatch.setenv("SEMSTREAM_KAFKA_SASL_PASSWORD", "hunter2")
    monkeypatch.setenv("SEMSTREAM_KAFKA_SASL_MECHANISM", "PLAIN")
    s = load_settings()
    assert "hunter2" not in repr(s)
    assert s.kafka_client_options()["sasl_plain_password"] == "hunter2"
