"""Static checks of the production manifests in infra/: they parse, images are pinned, versions and
commands agree with the code. (The manifests cannot run here: no Docker engine, no Kubernetes.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import typer
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
YAML_FILES = sorted([*INFRA.rglob("*.yaml"), *INFRA.rglob("*.yml")])
JSON_FILES = sorted(INFRA.rglob("*.json"))


def yaml_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def dockerfile_arg(name: str) -> str:
    found = re.search(rf"^ARG {name}=(\S+)$", (INFRA / "Dockerfile").read_text(), re.M)
    assert found, f"ARG {name} missing from infra/Dockerfile"
    return found.group(1)


def rayservice() -> dict:
    return next(d for d in yaml_docs(INFRA / "kuberay" / "rayservice.yaml") if d["kind"] == "RayService")


def test_the_manifests_exist() -> None:
    names = {p.relative_to(INFRA).as_posix() for p in [*YAML_FILES, *JSON_FILES]}
    expected = {"compose.yaml", "kuberay/rayservice.yaml", "kafka/strimzi.yaml", "qdrant/values.yaml",
                "prometheus/prometheus.yml", "grafana/semstream-dashboard.json", "serve_config.yaml"}
    assert expected <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_yaml_file_parses_to_mappings(path: Path) -> None:
    docs = yaml_docs(path)
    assert docs, f"{path} holds no YAML document"
    assert all(isinstance(d, dict) for d in docs)


@pytest.mark.parametrize("path", JSON_FILES, ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_json_file_parses(path: Path) -> None:
    assert isinstance(json.loads(path.read_text()), dict)


def test_every_kubernetes_object_has_kind_and_name() -> None:
    for path in [INFRA / "kuberay" / "rayservice.yaml", INFRA / "kuberay" / "podmonitor.yaml",
                 INFRA / "kafka" / "strimzi.yaml"]:
        for doc in yaml_docs(path):
            assert {"apiVersion", "kind", "metadata"} <= doc.keys(), path
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", doc["metadata"]["name"]), doc["metadata"]


# --- images -------------------------------------------------------------------------------------

def _images() -> list[str]:
    compose = yaml_docs(INFRA / "compose.yaml")[0]
    images = [s["image"] for s in compose["services"].values() if "image" in s]
    for group in [rayservice()["spec"]["rayClusterConfig"]["headGroupSpec"],
                  *rayservice()["spec"]["rayClusterConfig"]["workerGroupSpecs"]]:
        images += [c["image"] for c in group["template"]["spec"]["containers"]]
    values = yaml_docs(INFRA / "qdrant" / "values.yaml")[0]
    images.append(f"{values['image']['repository']}:{values['image']['tag']}")
    images.append(dockerfile_arg("PYTHON_IMAGE"))
    return images


def test_every_image_is_pinned_to_an_explicit_tag() -> None:
    images = _images()
    assert len(images) >= 9
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag, f"{image} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{image} is not pinned to a version"


def test_the_compose_and_kuberay_semstream_images_match() -> None:
    compose = yaml_docs(INFRA / "compose.yaml")[0]["services"]
    assert compose["ray-head"]["image"] == compose["ray-worker"]["image"]
    assert compose["ray-head"]["build"] == compose["ray-worker"]["build"]
    build = compose["ray-head"]["build"]
    assert (INFRA / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]) == INFRA / "Dockerfile"
    tags = {i.rpartition(":")[2] for i in _images() if i.rpartition(":")[0].endswith("semstream")}
    assert tags == {"0.1.0"}


# --- versions -----------------------------------------------------------------------------------

def test_one_ray_version_in_the_image_and_the_rayservice() -> None:
    version = dockerfile_arg("RAY_VERSION")
    assert rayservice()["spec"]["rayClusterConfig"]["rayVersion"] == version
    pyproject = (ROOT / "pyproject.toml").read_text()
    ray_range = re.search(r'"ray\[serve\]([^"]*)"', pyproject).group(1)
    assert version in SpecifierSet(ray_range), f"ray {version} outside the package range {ray_range}"


def test_the_image_installs_cpu_torch_pinned_before_the_package() -> None:
    text = (INFRA / "Dockerfile").read_text()
    assert dockerfile_arg("TORCH_VERSION") == "2.13.0"
    assert dockerfile_arg("TORCH_INDEX_URL").endswith("/whl/cpu")
    torch_at = text.index('pip install "torch==${TORCH_VERSION}" --index-url')
    package_at = text.index('"ray[serve]==${RAY_VERSION}" .')
    assert torch_at < package_at
    assert 'SEMSTREAM_DATA_DIR=/var/lib/semstream' in text


def test_the_build_context_filter_keeps_what_pip_install_needs() -> None:
    copied = re.findall(r"^COPY (.+) \./", (INFRA / "Dockerfile").read_text(), re.M)
    sources = {s for line in copied for s in line.split()}
    assert sources == {"pyproject.toml", "setup.py", "README.md", "semstream", "topics", "actors",
                       "deployments", "models"}
    ignore = (INFRA / "Dockerfile.dockerignore").read_text().split()
    for source in sources:
        assert (ROOT / source).exists(), source
        assert f"!{source}" in ignore or f"!{source}/**" in ignore, f"{source} filtered out of the context"


# --- commands the manifests run -----------------------------------------------------------------

def _command_flags(subcommand: str, *sub: str) -> set[str]:
    module = __import__(f"semstream.commands.{subcommand}", fromlist=["app"])
    command = typer.main.get_command(module.app)
    for name in sub:
        assert name in getattr(command, "commands", {}), f"no command: semstream {subcommand} {name}"
        command = command.commands[name]
    return {o for p in command.params for o in [*p.opts, *p.secondary_opts]}


def _without_comments(text: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def _semstream_invocations() -> list[list[str]]:
    """Every `semstream up|train ...` the containers run (comments excluded)."""
    texts = [(INFRA / "compose.yaml").read_text(), (INFRA / "Dockerfile").read_text()]
    ingest = next(d for d in yaml_docs(INFRA / "kuberay" / "rayservice.yaml") if d["metadata"]["name"] == "semstream-ingest")
    texts.append(ingest["data"]["ingest.sh"])
    pattern = r"\bsemstream ((?:up|train)\b[^\n&;\"`]*)"
    return [m.group(1).split() for t in texts for m in re.finditer(pattern, _without_comments(t))]


def test_every_semstream_command_in_the_manifests_exists_with_its_flags() -> None:
    calls = _semstream_invocations()
    assert ["up"] in calls and ["up", "--no-serve", "--no-demo"] in calls
    assert any(c[:2] == ["train", "all"] for c in calls)
    for call in calls:
        sub = ["all"] if call[0] == "train" else []
        flags = _command_flags(call[0], *sub)
        used = [w for w in call[1 + len(sub):] if w.startswith("--")]
        assert set(used) <= flags, f"semstream {' '.join(call)}: unknown {set(used) - flags}"


def test_the_ingest_script_runs_the_pool_without_http() -> None:
    ingest = next(d for d in yaml_docs(INFRA / "kuberay" / "rayservice.yaml") if d["metadata"]["name"] == "semstream-ingest")
    head = rayservice()["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    mount = next(m for m in head["volumeMounts"] if m["name"] == "ingest-script")
    assert head["command"] == [f"(bash {mount['mountPath']}/ingest.sh &)"]
    assert "semstream up --no-serve --no-demo" in ingest["data"]["ingest.sh"]


# --- packaging: the image installs the package with `pip install .` ----------------------------

@pytest.mark.slow
def test_a_built_wheel_carries_every_data_file(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not available")
    tracked = subprocess.run(["git", "ls-files", "semstream", "topics", "actors", "deployments", "models"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    data = {f for f in tracked if not f.endswith(".py") and (ROOT / f).exists()}
    src = tmp_path / "src"
    src.mkdir()
    for name in ["pyproject.toml", "setup.py", "README.md", "semstream", "topics", "actors", "deployments", "models"]:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    str(src), "-w", str(tmp_path / "wheel")], check=True, capture_output=True)
    wheel = next((tmp_path / "wheel").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    folders = {"semstream": "semstream", "topics": "semstream/topics", "actors": "semstream/actors",
               "deployments": "semstream/deployments", "models": "semstream/models"}
    expected = {folders[f.split("/", 1)[0]] + "/" + f.split("/", 1)[1] for f in data}
    missing = sorted(expected - names)
    assert not missing, f"missing from the wheel: {missing}"


# --- docs/production.md -------------------------------------------------------------------------

def _settings_fields_by_env() -> dict[str, str]:
    from semstream.config import Settings

    return {f"SEMSTREAM_{name.upper()}": name for name in Settings.model_fields} | {"RAY_ADDRESS": "ray_address"}


def test_every_setting_the_production_doc_names_exists() -> None:
    text = (ROOT / "docs" / "production.md").read_text()
    named = set(re.findall(r"\bSEMSTREAM_[A-Z0-9_]*[A-Z0-9]\b", text))
    assert len(named) >= 20
    assert named <= set(_settings_fields_by_env()), f"not settings: {sorted(named - set(_settings_fields_by_env()))}"


def test_the_production_doc_states_the_real_embedded_defaults() -> None:
    from semstream.config import Settings

    fields = _settings_fields_by_env()
    rows = [line.split("|")[1:-1] for line in (ROOT / "docs" / "production.md").read_text().splitlines()
            if re.match(r"\| `(SEMSTREAM_[A-Z_]+|RAY_ADDRESS)` \|", line)]
    assert len(rows) >= 20
    for setting_cell, default_cell, *_ in rows:
        field = fields[setting_cell.strip().strip("`")]
        value = Settings.model_fields[field].default
        if value is None:
            assert default_cell.strip().startswith("unset"), f"{field}: the default is unset"
        else:
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            assert f"`{shown}`" in default_cell, f"{field}: the default is {shown!r}, the doc says {default_cell.strip()!r}"
