"""The running system on one machine (or pointed at clusters): broker, Ray, index, ingest, Serve.

Each embedded part is started only when its production twin is not configured, and everything
started here is stopped here, in reverse order.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from semstream.config import Settings

log = logging.getLogger(__name__)
APP_NAME = "semstream"


class Stack:
    def __init__(self, settings: Settings, say: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.say = say
        self.broker: Any = None
        self.pool: Any = None
        self._stops: list[Callable[[], None]] = []

    # --- start -------------------------------------------------------------------------
    def start(self, serve_http: bool = True) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._start_broker()
        self._ensure_topics()
        self._start_ray()
        self._start_index()
        self._start_ingest()
        if serve_http:
            self.start_serving()

    def _start_broker(self) -> None:
        from semstream.actors.wiring import bootstrap_servers

        if self.settings.kafka_bootstrap:
            self.say(f"kafka: using {self.settings.kafka_bootstrap}")
            return
        from semstream.topics.broker import EmbeddedBroker

        self.broker = EmbeddedBroker(self.settings.broker_port, self.settings.data_dir / "broker.log")
        self.broker.start()
        self._stops.append(self.broker.stop)
        self.say(f"kafka: embedded broker on {bootstrap_servers(self.settings)} (memory only)")

    def _ensure_topics(self) -> None:
        from semstream.actors.wiring import bootstrap_servers
        from semstream.topics.admin import ensure_topics

        ensure_topics(bootstrap_servers(self.settings), self.settings)

    def _start_ray(self) -> None:
        import ray

        from semstream.actors.ray_actors import NAMESPACE

        if self.settings.ray_address:
            ray.init(address=self.settings.ray_address, namespace=NAMESPACE, log_to_driver=False)
        else:
            ray.init(
                namespace=NAMESPACE,
                num_cpus=self.settings.ray_num_cpus or max(8, os.cpu_count() or 1),
                include_dashboard=True,
                dashboard_host="127.0.0.1",
                dashboard_port=self.settings.ray_dashboard_port,
                log_to_driver=False,
            )
        self._stops.append(ray.shutdown)
        self.say(f"ray: {ray.get_runtime_context().gcs_address} (dashboard http://127.0.0.1:{self.settings.ray_dashboard_port})")

    def _start_index(self) -> None:
        if self.settings.qdrant_url:
            self.say(f"qdrant: server {self.settings.qdrant_url}")
            return
        import ray

        from semstream.actors.ray_actors import index_owner

        owner = index_owner(self.settings)
        ray.get(owner.ready.remote())
        self._stops.append(lambda: _close_owner(owner))
        self.say(f"qdrant: embedded Edge shards in {self.settings.data_dir / 'qdrant'}")

    def _start_ingest(self) -> None:
        from semstream.actors.pool import IngestPool

        self.pool = IngestPool(self.settings)
        self.pool.start()
        self._stops.append(self.pool.stop)
        self.say(f"ingest: {self.pool.size} actor(s) in group {self.settings.consumer_group}")

    def start_serving(self) -> None:
        from ray import serve

        from semstream.deployments.app import build_app

        serve.start(http_options={"host": self.settings.http_host, "port": self.settings.http_port})
        self._stops.append(serve.shutdown)
        serve.run(build_app(serve_args(self.settings)), name=APP_NAME, route_prefix="/")
        self.say(f"search: http://{self.settings.http_host}:{self.settings.http_port}/ (API docs at /docs)")

    # --- run and stop ------------------------------------------------------------------
    def supervise(self, interval_s: float = 2.0, until: Callable[[], bool] = lambda: False) -> None:
        """Restart what died (embedded broker, ingest actors) until ``until()`` or Ctrl-C."""
        while not until():
            self.check()
            time.sleep(interval_s)

    def check(self) -> list[str]:
        """One supervision round: restart the parts that died; returns what was restarted."""
        restarted = []
        if self.broker is not None and not self.broker.running():
            self._restart_broker()
            restarted.append("broker")
        if self.pool:
            for index in self.pool.check():
                self.say(f"ingest: actor {index} died and was restarted")
                restarted.append(f"ingest-{index}")
        return restarted

    def _restart_broker(self) -> None:
        """The embedded broker keeps everything in memory: a restarted one is empty. Events not yet
        consumed and the group's committed offsets are gone; consumers read the new logs from the
        start (see ``KafkaEventSource``) and producers get DeliveryError for what was not acknowledged."""
        self.broker.start()
        self._ensure_topics()
        self.say("kafka: the embedded broker died and was restarted EMPTY; events it had not delivered to "
                 "ingest are lost and must be produced again")

    def stop(self) -> None:
        while self._stops:
            step = self._stops.pop()
            try:
                step()
            except Exception as e:  # keep stopping the rest whatever one part does
                log.warning("while stopping: %s", e)


def serve_args(settings: Settings) -> dict[str, Any]:
    """The stack's own settings as Serve application args, so the replicas run with the settings
    the stack was started with, not only what the environment says (Ray's address excepted:
    replicas are already inside the cluster)."""
    return {name: getattr(settings, name) for name in type(settings).model_fields if name != "ray_address"}


def _close_owner(owner: Any) -> None:
    import ray

    try:
        ray.get(owner.close.remote(), timeout=30)
    finally:
        ray.kill(owner)
