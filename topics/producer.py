"""KafkaEventSink: a producer on a real Kafka-protocol broker (kafka-python), acks from all replicas."""

from __future__ import annotations

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from semstream.config import Settings, get_settings
from semstream.topics.exceptions import BrokerUnavailable, DeliveryError

_PRUNE_AT = 10_000
CLOSE_TIMEOUT_S = 10.0
MAX_BLOCK_MS = 15_000  # how long send() may wait for metadata or buffer space


class KafkaEventSink:
    """Sends records; ``flush`` waits for every ack and raises :class:`DeliveryError` if any failed."""

    def __init__(
        self,
        bootstrap: str,
        settings: Settings | None = None,
        *,
        client_id: str = "semstream-producer",
        **overrides: object,
    ) -> None:
        s = settings or get_settings()
        options: dict[str, object] = {
            "bootstrap_servers": bootstrap.split(","),
            "client_id": client_id,
            "acks": "all",
            "retries": 5,
            "linger_ms": 5,
            "max_in_flight_requests_per_connection": 1,  # keeps per-key order across retries
            "max_block_ms": MAX_BLOCK_MS,
            **s.kafka_client_options(),
            **overrides,
        }
        self._pending: list[FutureRecordMetadata] = []
        try:
            self._producer = KafkaProducer(**options)
        except KafkaError as e:
            raise BrokerUnavailable(f"cannot produce to {bootstrap}: {e}") from e

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        try:
            self._pending.append(self._producer.send(topic, key=key, value=value))
        except KafkaError as e:
            raise DeliveryError(f"cannot send to {topic!r}: {e}") from e
        if len(self._pending) >= _PRUNE_AT:
            self._prune()

    def _prune(self) -> None:
        """Forget acknowledged records so a long run without flush keeps memory flat."""
        self._pending = [f for f in self._pending if not f.succeeded()]

    def flush(self, timeout_s: float = 30.0) -> None:
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as e:
            raise DeliveryError(f"flush did not finish within {timeout_s}s: {e}") from e
        pending, self._pending = self._pending, []
        failed = [f for f in pending if not f.is_done or f.failed()]
        if failed:
            first = failed[0].exception if failed[0].is_done else "not acknowledged in time"
            raise DeliveryError(f"{len(failed)} of {len(pending)} records not delivered; first: {first}")

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Flush (raising DeliveryError on failure), then release the client within ``timeout_s``."""
        try:
            self.flush(timeout_s)
        finally:
            self._producer.close(timeout=timeout_s)
