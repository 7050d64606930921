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
    """Sends records; ``flush`` waits for every ack and raises :class:`DeliveryError` if any failed.

    After a failed flush the sink drops its unacknowledged records and starts a new client: a
    producer whose session the broker forgot (a broker restarted without its data answers every
    later InitProducerId with an error) would otherwise never deliver again.
    """

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
        self._options = options
        self._pending: list[FutureRecordMetadata] = []
        self._producer: KafkaProducer | None = self._connect()

    def _connect(self) -> KafkaProducer:
        try:
            return KafkaProducer(**self._options)
        except KafkaError as e:
            raise BrokerUnavailable(f"cannot produce to {self._options['bootstrap_servers']}: {e}") from e

    def _client(self) -> KafkaProducer:
        """The current client; a renewed sink connects on its next send."""
        if self._producer is None:
            self._producer = self._connect()
        return self._producer

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        try:
            self._pending.append(self._client().send(topic, key=key, value=value))
        except (KafkaError, BrokerUnavailable) as e:
            raise DeliveryError(f"cannot send to {topic!r}: {e}") from e
        if len(self._pending) >= _PRUNE_AT:
            self._prune()

    def _prune(self) -> None:
        """Forget acknowledged records so a long run without flush keeps memory flat."""
        self._pending = [f for f in self._pending if not f.succeeded()]

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait for every ack; on failure raise DeliveryError naming how many records were not
        acknowledged (they may or may not have reached the broker) and renew the client."""
        if self._producer is None:
            return  # renewed and nothing sent since
        timed_out: KafkaError | None = None
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as e:
            timed_out = e
        pending, self._pending = self._pending, []
        failed = [f for f in pending if not f.is_done or f.failed()]
        if timed_out is None and not failed:
            return
        self._renew()
        first = failed[0].exception if failed and failed[0].is_done else f"not acknowledged within {timeout_s}s"
        raise DeliveryError(f"{len(failed)} of {len(pending)} records not delivered; first: {first}") from timed_out

    def _renew(self) -> None:
        """Abandon the unacknowledged records and start a fresh client (new producer session)."""
        old, self._producer = self._producer, None
        if old is not None:
            try:
                old.close(timeout=0)
            except KafkaError:
                pass

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Flush (raising DeliveryError on failure), then release the client within ``timeout_s``."""
        try:
            self.flush(timeout_s)
        finally:
            if self._producer is not None:
                self._producer.close(timeout=timeout_s)
