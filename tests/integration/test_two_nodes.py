"""Two Ray nodes on this machine: ingest members placed on both, the second node lost mid-stream.

The pool must bring the lost member back on the surviving node and the index must end exactly at
the reference fold. This test runs its own Ray cluster (``own_ray`` shuts the shared one down).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import expected, indexed, job_ids, produce, report, scenario, wait_for

from semstream.schemas import EntityKind

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def cluster(own_ray) -> Iterator[object]:
    """A head node; the test adds the second node itself (after placing the index owner on the head)."""
    import ray
    from ray.cluster_utils import Cluster

    from semstream.actors.ray_actors import NAMESPACE

    head = Cluster(initialize_head=True, connect=False, head_node_args={"num_cpus": 4, "include_dashboard": False})
    ray.init(address=head.address, namespace=NAMESPACE, log_to_driver=False)
    try:
        yield head
    finally:
        ray.shutdown()
        head.shutdown()


def _node_ids() -> tuple[str, str]:
    import ray

    alive = [n for n in ray.nodes() if n["Alive"]]
    second = [n["NodeID"] for n in alive if "node_b" in n["Resources"]]
    first = [n["NodeID"] for n in alive if "node_b" not in n["Resources"]]
    assert len(first) == 1 and len(second) == 1, alive
    return first[0], second[0]


def _affinity(node_ids: tuple[str, str]):
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    def placement(index: int) -> dict:
        return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node_ids[index % 2], soft=True)}
    return placement


def _running_on(pool, index: int) -> str | None:
    """Node id of member ``index``, restarting dead members first (as ``Stack.supervise`` does).

    Until Ray declares a lost node dead (missed health checks), a restart may still be placed
    there and die with it; the next check restarts it again, then on a live node."""
    import ray

    pool.check()
    try:
        return ray.get(pool.actors[index].where.remote(), timeout=10)["node_id"]
    except ray.exceptions.RayError:
        return None


def _member_stats(pool, index: int) -> dict:
    import ray

    try:
        return ray.get(pool.actors[index].stats.remote(), timeout=5)
    except ray.exceptions.RayError:
        return {}


def test_lost_node_member_restarts_on_the_head_and_index_ends_right(cluster, stack_settings):
    import ray

    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.pool import IngestPool
    from semstream.actors.ray_actors import index_owner

    owner = index_owner(stack_settings)                 # on the head: its shard directory lives there
    ray.get(owner.ready.remote())
    node_b = cluster.add_node(num_cpus=2, resources={"node_b": 1})
    cluster.wait_for_nodes()
    head_id, b_id = _node_ids()
    events, poison = scenario(n=40, seed=41)
    want = expected(events)
    store = ActorStoreClient.for_settings(stack_settings)
    pool = IngestPool(stack_settings, size=2, placement=_affinity((head_id, b_id)))
    pool.start()
    try:
        placed = [ray.get(pool.actors[i].where.remote(), timeout=120)["node_id"] for i in (0, 1)]
        produce(stack_settings, events, poison)
        wait_for(lambda: _member_stats(pool, 1).get("consumed", 0) > 0, 120, "the member on node B to ingest")
        cluster.remove_node(node_b, allow_graceful=False)
        restarted_s = wait_for(lambda: _running_on(pool, 1) == head_id, 120, "member 1 to run on the head again")
        converged_s = wait_for(lambda: indexed(store, job_ids(0, 40)) == want, 180, "the index to converge")
        converged_s += restarted_s
        count = store.count(EntityKind.JOB)
    finally:
        pool.stop()
        ray.get(owner.close.remote(), timeout=30)
        ray.kill(owner)
    report(f"node B lost: member 1 back on the head after {restarted_s:.1f} s; index converged after", converged_s)
    assert placed == [head_id, b_id]
    assert pool.restarts >= 1
    assert count == len(want)
