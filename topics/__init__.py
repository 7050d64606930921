"""Kafka side of semstream: topic registry, event serde, broker protocol (kafka-python and in-memory
implementations), dead letters and the on_error policy, admin helpers, the embedded Tansu broker,
and the job/profile data loaders."""
