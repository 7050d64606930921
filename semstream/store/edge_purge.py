"""Rewriting a Qdrant Edge shard with only its current points, so deleted data leaves the disk.

A tombstone replaces a deleted entity's point, but the engine keeps the replaced bytes in its
write-ahead log and in segment payload pages, and ``optimize()`` does not reclaim them. A purge
copies the current points (live ones with vectors and payloads, tombstones with only the store
keys, which must stay to refuse older replayed upserts) into a fresh shard and swaps directories:

1. build the copy in ``<collection>.purge-tmp``, flushed and closed (:func:`copy_current`);
2. the caller closes the old shard;
3. rename ``<collection>`` to ``<collection>.purge-old``;
4. rename ``<collection>.purge-tmp`` to ``<collection>``;
5. delete ``<collection>.purge-old``.

Interrupted before step 3, the old shard is still in place. Between 3 and 4 no shard sits at
``<collection>``, but the copy is complete (step 3 only runs after it): :func:`recover`, run before
a shard is loaded, finishes the swap. After step 4 it deletes whatever leftover directory remains.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import qdrant_edge as qe

_PAGE = 512
_EXACT = qe.CountRequest(exact=True)


def tmp_path(path: Path) -> Path:
    """Where the copy of the shard at ``path`` is built."""
    return path.with_name(path.name + ".purge-tmp")


def old_path(path: Path) -> Path:
    """Where the shard at ``path`` waits between the two renames."""
    return path.with_name(path.name + ".purge-old")


def is_shard(path: Path) -> bool:
    return (path / "edge_config.json").exists()


def fresh_tmp(path: Path) -> Path:
    """An empty build directory for the copy of ``path`` (a leftover one is removed)."""
    target = tmp_path(path)
    if target.exists():
        shutil.rmtree(target)
    return target


def copy_current(source: qe.EdgeShard, target: qe.EdgeShard) -> int:
    """Upsert every current point of ``source`` into ``target``; the number copied."""
    copied = 0
    for records in _pages(source):
        target.update(qe.UpdateOperation.upsert_points([qe.Point(r.id, r.vector, r.payload) for r in records]))
        copied += len(records)
    expected = source.count(_EXACT)
    if copied != expected or target.count(_EXACT) != expected:
        raise RuntimeError(f"copied {copied} points but the shard holds {expected}")
    return copied


def _pages(shard: qe.EdgeShard) -> Iterator[list[qe.Record]]:
    """Every point with its vector and whole payload, one page at a time."""
    offset = None
    while True:
        records, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=_PAGE, with_payload=True,
                                                        with_vector=True))
        if records:
            yield records
        if offset is None or not records:
            return


def swap(path: Path) -> None:
    """Steps 3-5: move the closed copy in place of the closed shard at ``path``, then drop the old one."""
    old = old_path(path)
    if old.exists():
        shutil.rmtree(old)
    path.rename(old)
    tmp_path(path).rename(path)
    _sync_dir(path.parent)
    shutil.rmtree(old)


def recover(path: Path) -> None:
    """Finish (or undo) a purge interrupted between the renames; remove leftover directories."""
    tmp, old = tmp_path(path), old_path(path)
    if not is_shard(path) and old.exists():
        (tmp if is_shard(tmp) else old).rename(path)
        _sync_dir(path.parent)
    for leftover in (tmp, old):
        if leftover.exists():
            shutil.rmtree(leftover)


def _sync_dir(path: Path) -> None:
    """Make renames inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
