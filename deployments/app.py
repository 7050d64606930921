"""The Ray Serve application: thin deployment wrappers around the plain stage services.

``serve run infra/serve_config.yaml`` and ``semstream up`` both call ``build_app(args)``.
Graph: Ingress (FastAPI) -> QueryUnderstanding -> Retrieval -> Ranking, each its own
deployment with its own autoscaling, ``max_ongoing_requests`` and actor options.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ray import serve
from ray.serve import Application
from ray.serve.handle import DeploymentHandle

from semstream.config import Settings, load_settings
from semstream.errors import ConfigError

from semstream.deployments import factories
from semstream.deployments.cache import ScoreCache
from semstream.deployments.depth import DepthController, DepthDecision
from semstream.deployments.feedback import LazySink, encode_feedback
from semstream.deployments.http import create_api
from semstream.deployments.local import _probe
from semstream.deployments.logs import configure_logging
from semstream.deployments.metrics import CACHE_HITS, CACHE_REQUESTS, RANK_DEGRADED, RANK_DEPTH, RANK_DEPTH_CHANGES, \
    RANK_ITEMS, RANK_PRESSURE, RANKER_BATCH, STAGE_LATENCY, RankingMetrics
from semstream.deployments.ranking import RankingService
from semstream.deployments.retrieval import CANDIDATE_FIELDS, RetrievalService
from semstream.deployments.search import SearchService
from semstream.deployments.security import EdgePolicy
from semstream.deployments.stages import Ranked, RankRequest, Retrieved, RetrieveRequest, Understanding, \
    UnderstandRequest
from semstream.deployments.understanding import UnderstandingService
from semstream.deployments.wire import FeedbackRequest, JobSearchRequest, PeopleSearchRequest

APP_NAME = "semstream"
RANKING = "Ranking"
_RANKING_METRICS = {RANKER_BATCH, CACHE_HITS, CACHE_REQUESTS, RANK_DEPTH, RANK_PRESSURE, RANK_DEPTH_CHANGES,
                    RANK_ITEMS, RANK_DEGRADED}
_INGRESS_METRICS = {STAGE_LATENCY, RANK_DEGRADED}

# name -> (CPUs per replica, may use a GPU, target ongoing requests, max ongoing requests)
_SHAPE: dict[str, tuple[float, bool, int, int]] = {
    "Ingress": (0.1, False, 8, 64),
    "QueryUnderstanding": (0.1, True, 4, 32),
    "Retrieval": (0.25, True, 4, 32),
}


def deployment_options(settings: Settings, name: str) -> dict[str, Any]:
    """Autoscaling, concurrency and resources of one deployment, from settings."""
    batch = settings.serve_rank_batch_size
    cpus, gpu, target, max_ongoing = _SHAPE.get(name, (0.5, True, batch, max(2 * batch, 16)))
    actor: dict[str, Any] = {"num_cpus": cpus}
    if gpu and settings.serve_gpu_fraction > 0:
        actor["num_gpus"] = settings.serve_gpu_fraction
    return {
        "name": name,
        "max_ongoing_requests": max(max_ongoing, batch if name == RANKING else 1),
        "autoscaling_config": {
            "min_replicas": settings.serve_min_replicas,
            "initial_replicas": max(1, settings.serve_min_replicas),
            "max_replicas": max(settings.serve_max_replicas, settings.serve_min_replicas, 1),
            "target_ongoing_requests": target,
        },
        "ray_actor_options": actor,
    }


@serve.deployment
class QueryUnderstandingDeployment:
    def __init__(self, settings: Settings, make_model: Callable[[Settings], Any] = factories.query_model) -> None:
        configure_logging(settings.log_level)
        model = make_model(settings)
        name = getattr(model, "name", None) or type(model).__name__
        self.service = UnderstandingService(model, name=f"{name}@{getattr(model, 'version', 'qu.v1')}")

    def understand(self, req: UnderstandRequest) -> Understanding:
        return self.service.understand(req)

    def ready(self) -> dict[str, Any]:
        return {"model": self.service.name}


@serve.deployment
class RetrievalDeployment:
    def __init__(self, settings: Settings, make_store: Callable[[Settings], Any] = factories.serving_store,
                 make_embedder: Callable[[Settings], Any] = factories.serving_embedder) -> None:
        configure_logging(settings.log_level)
        self.service = RetrievalService(make_store(settings), make_embedder(settings), CANDIDATE_FIELDS,
                                        text_chars=settings.serve_candidate_text_chars,
                                        collapse=settings.serve_collapse_duplicates)

    def retrieve(self, req: RetrieveRequest) -> Retrieved:
        return self.service.retrieve(req)

    def ready(self) -> dict[str, int]:
        return self.service.ready()


@serve.deployment
class RankingDeployment:
    def __init__(self, settings: Settings, make_ranker: Callable[[Settings], Any] = factories.serving_ranker) -> None:
        from semstream.deployments.ray_metrics import RayMetricsSink

        configure_logging(settings.log_level)
        self.metrics = RankingMetrics(RayMetricsSink(_RANKING_METRICS))
        depth = DepthController(
            normal=settings.serve_rank_depth, reduced=min(settings.serve_rank_depth_low, settings.serve_rank_depth),
            target_inflight=settings.serve_depth_target_inflight, deadline_s=settings.serve_rank_deadline_ms / 1000,
            cooldown_s=settings.serve_depth_cooldown_s, on_change=self._on_depth,
        )
        cache = ScoreCache(settings.serve_cache_entries, settings.serve_cache_ttl_s)
        self.service = RankingService(make_ranker(settings), settings.serve_rank_deadline_ms / 1000, cache, depth,
                                      metrics=self.metrics, worker_setup=factories.ranker_thread_setup(settings))
        self.metrics.depth(depth.depth)
        self._rank_batch.set_max_batch_size(settings.serve_rank_batch_size)
        self._rank_batch.set_batch_wait_timeout_s(settings.serve_rank_batch_wait_ms / 1000)

    async def rank(self, req: RankRequest) -> Ranked:
        arrived = self.service.enter()
        try:
            return await self._rank_batch((req, arrived))
        finally:
            self.service.leave()

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.005)
    async def _rank_batch(self, batch: list[tuple[RankRequest, float]]) -> list[Ranked]:
        return await asyncio.to_thread(self.service.rank_batch, batch)

    def invalidate(self, kind: str, ids: list[str]) -> int:
        """Drop cached scores of updated or deleted items (the index side calls this)."""
        return self.service.invalidate(kind, ids)

    def stats(self) -> dict[str, Any]:
        return self.service.stats()

    def ready(self) -> dict[str, str]:
        return {"ranker": f"{self.service.ranker.variant}@{self.service.ranker.version}"}

    def _on_depth(self, decision: DepthDecision) -> None:
        self.metrics.depth_changed(decision)

    def __del__(self) -> None:
        self.service.close()


class HandlePipeline:
    """The ingress's view of the other three deployments."""

    def __init__(self, qu: DeploymentHandle, retrieval: DeploymentHandle, ranking: DeploymentHandle) -> None:
        self.qu, self.retrieval, self.ranking = qu, retrieval, ranking

    async def understand(self, req: UnderstandRequest) -> Understanding:
        return await self.qu.understand.remote(req)

    async def retrieve(self, req: RetrieveRequest) -> Retrieved:
        return await self.retrieval.retrieve.remote(req)

    async def rank(self, req: RankRequest) -> Ranked:
        return await self.ranking.rank.remote(req)

    async def ready(self) -> dict[str, Any]:
        stages = {"understanding": self.qu, "retrieval": self.retrieval, "ranking": self.ranking}
        probes = [_probe(asyncio.wait_for(_call(h.ready), timeout=5)) for h in stages.values()]
        return dict(zip(stages, await asyncio.gather(*probes)))

    async def stats(self) -> dict[str, Any]:
        return await self.ranking.stats.remote()


async def _call(method: Any) -> Any:
    return await method.remote()


@serve.deployment
@serve.ingress()
class IngressDeployment:
    def __init__(self, settings: Settings, qu: DeploymentHandle, retrieval: DeploymentHandle,
                 ranking: DeploymentHandle, make_sink: Callable[[Settings], Any] = factories.engagement_sink) -> None:
        from semstream.deployments.ray_metrics import RayMetricsSink

        configure_logging(settings.log_level)
        self._sink = LazySink(lambda: make_sink(settings))
        self.service = SearchService(
            HandlePipeline(qu, retrieval, ranking), self._sink, encode_feedback,
            retrieve_k=settings.serve_retrieve_k, rank_depth=settings.serve_rank_depth,
            rank_timeout_s=2 * settings.serve_rank_deadline_ms / 1000 + 1.0,
            metrics=RayMetricsSink(_INGRESS_METRICS),
        )
        # Serve's proxy already echoes X-Request-Id in the response; the edge must not add a second one
        self._policy = EdgePolicy.from_settings(settings, echo_request_id=False)

    def __serve_build_asgi_app__(self) -> Any:
        return create_api(self.service, policy=self._policy)

    async def search(self, vertical: str, body: dict[str, Any]) -> dict[str, Any]:
        """The HTTP search, for handle callers (tests, other applications)."""
        models = {"jobs": JobSearchRequest, "people": PeopleSearchRequest}
        if vertical not in models:
            raise ValueError(f"unknown vertical {vertical!r}; expected one of {sorted(models)}")
        return (await self.service.search(vertical, models[vertical].model_validate(body))).model_dump(mode="json")

    async def feedback(self, body: dict[str, Any]) -> dict[str, Any]:
        return (await self.service.feedback(FeedbackRequest.model_validate(body))).model_dump(mode="json")

    def __del__(self) -> None:
        self._sink.close()  # flush pending engagement events


def build_graph(settings: Settings, make_qu: Callable[[Settings], Any] = factories.query_model,
                make_store: Callable[[Settings], Any] = factories.serving_store,
                make_embedder: Callable[[Settings], Any] = factories.serving_embedder,
                make_ranker: Callable[[Settings], Any] = factories.serving_ranker,
                make_sink: Callable[[Settings], Any] = factories.engagement_sink) -> Application:
    """The four-deployment application; the factories build each stage's parts inside its replica."""
    qu = QueryUnderstandingDeployment.options(**deployment_options(settings, "QueryUnderstanding")).bind(
        settings, make_qu)
    retrieval = RetrievalDeployment.options(**deployment_options(settings, "Retrieval")).bind(
        settings, make_store, make_embedder)
    ranking = RankingDeployment.options(**deployment_options(settings, RANKING)).bind(settings, make_ranker)
    ingress = IngressDeployment.options(**deployment_options(settings, "Ingress"))
    return ingress.bind(settings, qu, retrieval, ranking, make_sink)


def build_app(args: dict[str, Any] | None = None) -> Application:
    """Serve application builder: ``args`` are settings overrides (field names), e.g. from a Serve config."""
    args = dict(args or {})
    unknown = sorted(set(args) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown application args {unknown}; use semstream setting names")
    settings = load_settings(**args)
    # replicas may run in another working directory: pin relative paths to this one
    absolute = {"data_dir": settings.data_dir.resolve(), "shared_data_dir": settings.shared_data_dir.resolve()}
    return build_graph(settings.model_copy(update=absolute))


def ranking_handle(app_name: str = APP_NAME) -> DeploymentHandle:
    """For the index side: ``ranking_handle().invalidate.remote(kind, ids)``."""
    return serve.get_deployment_handle(RANKING, app_name=app_name)
