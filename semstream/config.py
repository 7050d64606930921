"""All configuration, read once from the environment (prefix ``SEMSTREAM_``) and frozen.

This is the only module that reads environment variables. Every embedded default has a
production twin selected by configuration alone:

* ``SEMSTREAM_KAFKA_BOOTSTRAP`` unset -> an embedded Kafka-protocol broker; set -> that cluster.
* ``SEMSTREAM_QDRANT_URL`` unset -> embedded Qdrant Edge shards under ``data_dir``; set -> that server.
* ``RAY_ADDRESS`` unset -> a local Ray instance; set -> that cluster (e.g. a KubeRay head).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from semstream.errors import ConfigError

OnError = Literal["dead_letter", "skip", "raise"]


class Settings(BaseSettings):
    """semstream settings; each field maps to ``SEMSTREAM_<FIELD>`` unless noted."""

    model_config = SettingsConfigDict(env_prefix="SEMSTREAM_", frozen=True, extra="ignore")

    # --- local state -----------------------------------------------------------------
    data_dir: Path = Field(Path(".semstream"), description="Embedded Qdrant shards, model artifacts, run files.")
    shared_data_dir: Path = Field(
        Path("../shared/data"), description="Folder of the public data sets (HN, Indeed, ESCO, MELO, ...)."
    )

    # --- Kafka -------------------------------------------------------------------------
    kafka_bootstrap: str | None = Field(None, description="host:port[,host:port]; unset = embedded broker.")
    broker_port: int = Field(19092, ge=1, le=65535, description="Port of the embedded broker on 127.0.0.1.")
    topic_partitions: int = Field(2, ge=1, le=256, description="Partitions per entity topic when created.")
    topic_replication_factor: int = Field(
        1, ge=1, le=16, description="Replicas per topic when semstream creates it (1 for the embedded broker)."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = Field(None, description="e.g. PLAIN, SCRAM-SHA-512.")
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_max_poll_interval_ms: int = Field(
        120_000, ge=1000, description="Longest a consumer may spend on one batch before the group drops it."
    )
    consumer_group: str = Field("semstream-ingest", min_length=1, description="Consumer group of the ingest actors.")

    # --- Qdrant ------------------------------------------------------------------------
    qdrant_url: str | None = Field(None, description="http(s)://host:6333 of a Qdrant server; unset = embedded Edge.")
    qdrant_api_key: SecretStr | None = None

    # --- Ray ---------------------------------------------------------------------------
    ray_address: str | None = Field(
        None,
        validation_alias=AliasChoices("SEMSTREAM_RAY_ADDRESS", "RAY_ADDRESS"),
        description="Ray cluster address (RAY_ADDRESS); unset = start a local instance.",
    )
    ray_dashboard_port: int = Field(8265, ge=1, le=65535)
    ray_num_cpus: int | None = Field(None, ge=1, description="CPUs Ray may use locally; unset = all.")

    # --- ingest ------------------------------------------------------------------------
    ingest_workers: int | None = Field(None, ge=1, description="Ingest actors; unset = one per partition, capped by CPUs.")
    ingest_batch_size: int = Field(32, ge=1, le=4096, description="Max events per poll and embed batch.")
    ingest_poll_ms: int = Field(100, ge=1, le=10_000, description="Max wait for a batch to fill.")
    max_text_chars: int = Field(50_000, ge=100, description="Events whose text exceeds this are dead-lettered.")
    on_error: OnError = Field("dead_letter", description="What a worker does with a bad event.")

    # --- demo data (loaded by `semstream up`) --------------------------------------------
    load_demo: bool = Field(True, description="Produce demo postings and synthetic profiles at start-up.")
    demo_jobs: int = Field(1500, ge=0, description="Demo job postings to produce (HN + Indeed when present).")
    demo_profiles: int = Field(500, ge=0, description="Synthetic profiles to produce (seeded, labelled synthetic).")

    # --- models ------------------------------------------------------------------------
    embedder_path: Path | None = Field(None, description="Local bi-encoder folder; unset = the bundled all-MiniLM-L6-v2.")
    embed_max_tokens: int = Field(256, ge=8, le=512, description="Token cap per text when embedding.")
    embed_batch_size: int = Field(32, ge=1, le=1024)
    torch_threads: int | None = Field(None, ge=1, description="torch intra-op threads per process; unset = torch default.")
    ranker_device: str = Field("cpu", description="Torch device of the SLM ranker: cpu, cuda, cuda:1, ...")
    ranker_dtype: Literal["auto", "float32", "bfloat16", "int8"] = Field(
        "auto", description="Ranker weights: float32, bfloat16 (GPU), int8 (dynamic quantisation, CPU only), or auto "
        "(int8 on the CPU, float32 on a GPU).")
    ranker_mode: Literal["prefix-shared", "full-text", "mixlm", "cascade"] = Field(
        "mixlm", description="Ranker scoring path: the query prefix KV computed once per query over item text "
        "(prefix-shared), full text per item, mixlm (items as their retrieval and facts vectors, read with the query's; "
        "needs the adapter in <version>/mixlm/ and vectors on the query and its RankItems, else the text ranker "
        "serves), or cascade (mixlm over every candidate, then the prefix-shared text ranker over its top "
        "ranker_cascade_depth)."
    )
    ranker_cascade_depth: int = Field(16, ge=1, le=1024, description="Items the text ranker re-scores in cascade mode.")
    ranker_compile: bool = Field(False, description="torch.compile the ranker's transformer bodies (same scores, "
                                 "faster forward passes; the replica compiles for seconds at start-up).")
    ranker_batch_size: int = Field(32, ge=1, le=1024, description="Items per ranker forward pass.")
    ranker_threads: int | None = Field(
        None, ge=1, description="torch threads of a Ranking replica; unset = torch_threads, else the machine's CPUs "
        "(Ray would give a replica with num_cpus < 2 one thread).")

    # --- serving -----------------------------------------------------------------------
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    api_key: SecretStr | None = Field(
        None, description="If set, admin endpoints (/v1/stats, /v1/admin/*) require it as a Bearer token or X-API-Key."
    )
    max_body_bytes: int = Field(
        65_536, ge=1024, le=16 * 1024 * 1024, description="Larger request bodies are refused with 413 before parsing."
    )
    rate_limit_rps: float = Field(20.0, ge=0, description="Requests/s each client may make to /v1/*; 0 = no limit.")
    rate_limit_burst: int = Field(40, ge=1, description="Requests a client may make at once before the rate applies.")
    rate_limit_trust_forwarded: bool = Field(
        False, description="Identify clients by the first X-Forwarded-For address (only behind a trusted proxy)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Level of the serving replicas' JSON log lines (one per request and stage)."
    )

    # --- serving DAG (Ray Serve: ingress -> understanding -> retrieval -> ranking) ------
    serve_retrieve_k: int = Field(1000, ge=1, le=1000, description="Candidates retrieval fetches per query (K).")
    serve_rank_depth: int = Field(250, ge=1, le=1000, description="Candidates the ranker scores at normal load (N).")
    serve_rank_depth_low: int = Field(130, ge=1, le=1000, description="N under load, chosen by the depth controller.")
    serve_collapse_duplicates: bool = Field(
        True, description="Answers show one of each group of re-posted duplicates (same title, company, place and "
        "text under different ids); the response's depth.collapsed counts the rest.")
    serve_candidate_text_chars: int = Field(
        2000, ge=500, description="Long texts (description, summary) of candidates handed to ranking are cut to this "
        "many characters; keep it at least the ranker prompt's max_item_chars."
    )
    serve_rank_deadline_ms: int = Field(
        500, ge=1, le=60_000, description="Ranking budget per request; past it the answer keeps retrieval order."
    )
    serve_rank_batch_size: int = Field(8, ge=1, le=256, description="Max requests per batched ranking call.")
    serve_rank_batch_wait_ms: float = Field(5.0, ge=0, le=1000, description="Max wait for a ranking batch to fill.")
    serve_ranker: str | None = Field(None, description="Ranker the service loads by name; unset = \"default\".")
    serve_depth_target_inflight: int = Field(
        16, ge=1, description="Ranking requests in flight per replica that count as full load for the depth controller."
    )
    serve_depth_cooldown_s: float = Field(10.0, ge=0, description="Calm time before the depth controller restores N.")
    serve_cache_entries: int = Field(10_000, ge=0, description="(searcher, query) entries in the score cache; 0 = off.")
    serve_cache_ttl_s: float = Field(600.0, gt=0, description="Lifetime of a score-cache entry.")
    serve_min_replicas: int = Field(1, ge=0, description="Autoscaling floor of every deployment.")
    serve_max_replicas: int = Field(2, ge=1, description="Autoscaling ceiling of every deployment.")
    serve_gpu_fraction: float = Field(
        0.0, ge=0, le=1, description="GPU share each model replica (QU, retrieval, ranking) asks for; 0 = CPU only."
    )

    def kafka_client_options(self) -> dict[str, object]:
        """Security options passed straight to every kafka-python client."""
        options: dict[str, object] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_sasl_mechanism:
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            if self.kafka_sasl_password is not None:
                options["sasl_plain_password"] = self.kafka_sasl_password.get_secret_value()
        if self.kafka_ssl_cafile:
            options["ssl_cafile"] = str(self.kafka_ssl_cafile)
        return options


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a bad value raises ConfigError naming the field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        problems = "; ".join(f"{_env_name(err['loc'])}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"invalid configuration: {problems}") from e


def _env_name(loc: tuple) -> str:
    field = str(loc[0]) if loc else "?"
    return field if field.isupper() else f"SEMSTREAM_{field.upper()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
