"""infra/serve_config.yaml is a valid Serve config that matches what build_app builds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ray.serve.schema import ServeDeploySchema

from semstream.config import Settings, load_settings
from semstream.deployments.app import deployment_options

CONFIG = Path(__file__).resolve().parents[2] / "infra" / "serve_config.yaml"


@pytest.fixture(scope="module")
def config() -> ServeDeploySchema:
    return ServeDeploySchema.model_validate(yaml.safe_load(CONFIG.read_text()))


def test_config_points_at_the_app_builder_with_known_settings(config: ServeDeploySchema) -> None:
    [app] = config.applications
    assert app.import_path == "semstream.deployments.app:build_app"
    assert set(app.args) <= set(Settings.model_fields)
    load_settings(**app.args)  # the values are valid settings too


def test_config_deployments_restate_the_builder_defaults(config: ServeDeploySchema) -> None:
    [app] = config.applications
    settings = load_settings(**app.args)
    for dep in app.deployments:
        built = deployment_options(settings, dep.name)
        assert dep.max_ongoing_requests == built["max_ongoing_requests"], dep.name
        assert dep.autoscaling_config == built["autoscaling_config"], dep.name
        assert dep.ray_actor_options.model_dump(exclude_unset=True) == built["ray_actor_options"], dep.name
    assert {d.name for d in app.deployments} == {"Ingress", "QueryUnderstanding", "Retrieval", "Ranking"}


def test_ranking_can_fill_its_batches(config: ServeDeploySchema) -> None:
    [app] = config.applications
    ranking = next(d for d in app.deployments if d.name == "Ranking")
    assert ranking.max_ongoing_requests >= load_settings(**app.args).serve_rank_batch_size
