"""Real embedded parts for the integration tier: a broker per test, one Ray instance per session."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import data_dir_with_ranker

from semstream.config import Settings, load_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[object]:
    """A fresh memory-only broker per test, so topics start empty."""
    from semstream.topics.broker import EmbeddedBroker

    with EmbeddedBroker(free_port(), tmp_path / "broker.log") as running:
        yield running


def _init_shared_ray() -> None:
    import ray

    from semstream.actors.ray_actors import NAMESPACE

    ray.init(num_cpus=8, namespace=NAMESPACE, include_dashboard=False, log_to_driver=False)


@pytest.fixture(scope="session")
def _ray_at_exit() -> Iterator[None]:
    yield
    import ray

    ray.shutdown()


@pytest.fixture
def ray_session(_ray_at_exit) -> Iterator[None]:
    """One Ray instance shared by the tests that use it: started on first use, kept for the next
    ones, restarted if a test that needed its own Ray (``own_ray``) ran in between."""
    import ray

    if not ray.is_initialized():
        _init_shared_ray()
    yield


@pytest.fixture
def own_ray() -> Iterator[None]:
    """For tests that start Ray themselves (a whole Stack, a multi-node cluster): the shared
    instance is shut down before and anything they left is shut down after."""
    import ray

    ray.shutdown()
    yield
    ray.shutdown()


@pytest.fixture
def stack_settings(broker, tmp_path: Path, request) -> Settings:
    """Settings for one test: the session broker, a fresh data dir, group and small model inputs."""
    port = int(broker.bootstrap.rsplit(":", 1)[1])
    return load_settings(
        data_dir=tmp_path / "data",
        broker_port=port,
        consumer_group=f"it-{request.node.name}"[:100],
        embed_max_tokens=64,
        ingest_batch_size=16,
        load_demo=False,
    )


@pytest.fixture
def index_owner(ray_session, stack_settings):
    """The embedded index owner for this test's data dir; killed afterwards so the next test gets its own."""
    import ray

    from semstream.actors.ray_actors import index_owner as owner_for

    owner = owner_for(stack_settings)
    ray.get(owner.ready.remote())
    yield owner
    _close_index_owner()


def _close_index_owner() -> None:
    """Close whichever owner runs now (a test may have killed the first and started another)."""
    import ray

    from semstream.actors.index_client import named_index_owner

    try:
        owner = named_index_owner()
    except ValueError:
        return
    try:
        ray.get(owner.close.remote(), timeout=30)
    except ray.exceptions.RayError:
        pass
    ray.kill(owner)


@pytest.fixture(scope="session")
def tiny_ranker_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ``models/`` holds a ``default`` ranker trained with the tiny profile.

    Training is slow, so the models are kept in pytest's cache (when enabled) under a key of the
    ranker and training sources: a change to either trains again."""
    from semstream.models.ranker.registry import ensure_default_ranker

    cache = getattr(request.config, "cache", None)
    home = cache.mkdir(f"tiny-ranker-{_sources_digest()}") if cache else tmp_path_factory.mktemp("ranker")
    settings = load_settings(data_dir=home, shared_data_dir=home / "no-public-data")
    ensure_default_ranker(settings, progress=False, profile="tiny")
    return home


@pytest.fixture(scope="session")
def ranker_data_dir(tiny_ranker_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data_dir_with_ranker(tiny_ranker_home, tmp_path_factory)


def _sources_digest() -> str:
    import hashlib

    import semstream.models as models

    root = Path(models.__file__).parent
    digest = hashlib.sha1()
    for path in sorted([*root.glob("ranker/*.py"), *root.glob("training/*.py"), *root.glob("data/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
