"""The ingest worker: poll -> decode -> embed -> version-guarded write -> commit.

Plain class, no Ray: the Ray actor in ``ray_actors.py`` only wraps it. Offsets are committed
only after the store acknowledged the batch (and dead letters were delivered), so delivery is
at-least-once and, with the store's version guard, the effect is exactly-once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from semstream.errors import InvalidEvent
from semstream.models.embedder import Embedder
from semstream.schemas import Document, EntityEvent, EntityKind, Op
from semstream.store.protocol import VectorStore
from semstream.topics.errors import ErrorPolicy
from semstream.topics.exceptions import CommitError
from semstream.topics.protocol import EventSource, RawRecord, TopicPartition, next_offsets
from semstream.topics.serde import decode_event

from semstream.actors.documents import facts_to_embed, text_to_embed, to_document
from semstream.actors.observer import BatchOutcome, IngestObserver, reason_code
from semstream.actors.freshness import FreshnessWindow, IngestStats
from semstream.actors.retry import Backoff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    max_records: int = 32
    poll_ms: int = 100
    max_text_chars: int = 50_000


@dataclass
class Decoded:
    record: RawRecord
    kind: EntityKind
    event: EntityEvent


class IngestWorker:
    def __init__(
        self,
        source: EventSource,
        store: VectorStore,
        embedder: Embedder,
        policy: ErrorPolicy,
        topic_kinds: dict[str, EntityKind],
        options: WorkerOptions = WorkerOptions(),
        backoff: Backoff = Backoff(),
        on_written: Callable[[Sequence[Document]], None] | None = None,
        observer: IngestObserver | None = None,
    ) -> None:
        self.source, self.store, self.embedder, self.policy = source, store, embedder, policy
        self.topic_kinds = topic_kinds
        self._topic_of_kind = {kind: topic for topic, kind in topic_kinds.items()}
        self.options, self.backoff = options, backoff
        self.on_written = on_written
        self.observer = observer
        self._outcome = BatchOutcome()
        self._last_lag: dict[TopicPartition, int] | None = None
        self.stats = IngestStats()
        self.freshness = FreshnessWindow()

    def step(self) -> int:
        """Handle one polled batch; returns how many records it covered."""
        records = self.source.poll(self.options.max_records, self.options.poll_ms)
        lag = self.source.lag()
        if not records:
            self._report_idle_lag(lag)
            return 0
        self.stats.in_flight = len(records)
        self._outcome = BatchOutcome(lag=lag)
        decoded = self._decode(records)
        docs = self._documents(decoded)
        self._write(docs)
        if self.policy.sink is not None:
            self.policy.sink.flush(30.0)  # dead letters are delivered before their offsets commit
        self._commit(records)
        self.stats.in_flight = 0
        self._account(records, decoded, docs)
        return len(records)

    def _report_idle_lag(self, lag: dict[TopicPartition, int]) -> None:
        """After an empty poll only the lag can have changed: report it when it did."""
        if self.observer and lag != self._last_lag:
            self.observer.observe(BatchOutcome(lag=lag))
        self._last_lag = lag

    def _commit(self, records: Sequence[RawRecord]) -> None:
        """A failed commit (group rebalanced) is harmless: the batch is redelivered and re-applied
        under the version guard, so it changes nothing twice."""
        try:
            self.source.commit(next_offsets(list(records)))
        except CommitError as e:
            self.stats.commit_failures += 1
            log.warning("commit failed, batch will be redelivered: %s", e)

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Loop until ``should_stop()``; then leave the consumer group cleanly."""
        try:
            while not should_stop():
                self.step()
        finally:
            self.close()

    def close(self) -> None:
        self.source.close()
        if self.policy.sink is not None:
            self.policy.sink.close()

    def report(self) -> IngestStats:
        p50, p99 = self.freshness.percentiles()
        resets = getattr(self.source, "log_resets", 0)
        return self.stats.model_copy(update={"freshness_p50_s": p50, "freshness_p99_s": p99, "log_resets": resets})

    def reset_freshness(self) -> None:
        self.freshness = FreshnessWindow()

    def _decode(self, records: Sequence[RawRecord]) -> list[Decoded]:
        decoded = []
        for record in records:
            kind = self.topic_kinds[record.topic]
            try:
                event = decode_event(kind, record.key, record.value, max_text_chars=self.options.max_text_chars)
            except InvalidEvent as e:
                self.policy.handle(record, e)
                self.stats.dead_lettered += 1
                self._outcome.outcomes[(record.topic, "dead_letter")] += 1
                self._outcome.dead_letters.append((record.topic, reason_code(str(e))))
                continue
            decoded.append(Decoded(record, kind, event))
        return decoded

    def _documents(self, decoded: Sequence[Decoded]) -> list[Document]:
        """Upserts get two vectors from one embedder call (it batches by length): the retrieval
        vector over the item text and the facts vector over the head and skills."""
        upserts = [d for d in decoded if d.event.op is Op.UPSERT]
        texts = [text_to_embed(d.kind, d.event) for d in upserts] + [facts_to_embed(d.kind, d.event) for d in upserts]
        vectors = self.embedder.embed(texts) if upserts else []
        vector_of = {id(d): (vectors[i].tolist(), vectors[len(upserts) + i]) for i, d in enumerate(upserts)}
        docs = []
        for d in decoded:
            vector, facts = vector_of.get(id(d), (None, None))
            docs.append(to_document(d.kind, d.event, vector, d.record.timestamp_ms / 1000.0, facts))
        return docs

    def _write(self, docs: Sequence[Document]) -> None:
        """One store call per kind, so outcomes are known per topic."""
        for kind, topic in self._topic_of_kind.items():
            batch = [d for d in docs if d.kind is kind]
            if batch:
                result = self.backoff.call(lambda: self.store.apply(batch), on_retry=self._count_retry)
                self.stats.written += result.written
                self.stats.stale += result.stale
                self._outcome.outcomes[(topic, "written")] += result.written
                self._outcome.outcomes[(topic, "stale")] += result.stale
        if docs and self.on_written:
            self.on_written(docs)

    def _count_retry(self) -> None:
        self.stats.retries += 1

    def _account(self, records: Sequence[RawRecord], decoded: Sequence[Decoded], docs: Sequence[Document]) -> None:
        now = time.time()
        for d in decoded:
            self.freshness.add(d.record.topic, d.record.timestamp_ms / 1000.0, now)
            self._outcome.freshness.append((d.record.topic, max(0.0, now - d.record.timestamp_ms / 1000.0)))
        if self.observer:
            self.observer.observe(self._outcome)
        self._last_lag = self._outcome.lag
        self.stats.consumed += len(records)
        self.stats.batches += 1
        self.stats.last_batch_at = now

