"""A bounded, self-stopping HTTP/1.1 load generator, run in its own process.

``python -m bench.load SPEC.json`` opens N keep-alive connections to 127.0.0.1 (reconnecting
when the server closes, as gunicorn's sync workers do), sends requests back to back on each for
a warm-up and then a measured window, and prints one JSON line: request count, throughput,
p50/p99 latency and status counts. It never runs past ``warmup + duration + timeout`` seconds.

Bodies are built here, per request, from a named kind so every write carries a fresh client
UUID: ``static`` (fixed JSON), ``pain_rating``, ``bare_insert``, ``session_log`` (the items of the
connection's patient, from ``item_sets``), ``sync`` and ``bulk_insert`` (the sync's body, its
items drawn once per process and given fresh ids per request: see :func:`sync_body`).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import uvloop

from bench.report import busy_ms, cpu_times

CONTEXTS = ("morning", "evening", "now", "during_exercise", "after_exercise")


def _now_iso(minutes_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def pain_rating(minutes_ago: float = 0) -> dict[str, Any]:
    """A valid pain rating with a fresh client id."""
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": _now_iso(minutes_ago),
        "score": random.randint(0, 7),
        "context": random.choice(CONTEXTS),
    }


def sync_items(count: int) -> list[dict[str, Any]]:
    """A mixed offline batch of pain ratings, posture breaks and headaches from recent days."""
    items: list[dict[str, Any]] = []
    for n in range(count):
        minutes_ago = random.uniform(10, 3 * 24 * 60)
        if n % 5 == 4:
            items.append(
                {
                    "kind": "headache_entry",
                    "data": {
                        "id": str(uuid.uuid4()),
                        "recorded_at": _now_iso(minutes_ago),
                        "started_at": _now_iso(minutes_ago + 90),
                        "duration_minutes": random.randint(20, 240),
                        "intensity": random.randint(2, 7),
                        "side": random.choice(("left", "right", "both")),
                        "triggers": ["screen_time"],
                        "medication_taken": False,
                    },
                }
            )
        elif n % 5 == 3:
            data = {"id": str(uuid.uuid4()), "recorded_at": _now_iso(minutes_ago)}
            items.append({"kind": "posture_break", "data": data})
        else:
            items.append({"kind": "pain_rating", "data": pain_rating(minutes_ago)})
    return items


# The phones' batches drawn once per process, each reused with fresh ids: a batch drawn anew costs
# this process 5-10 ms of CPU (500 ids, times and random values), which the server's two cores
# would pay for while 16 connections send, and which a real phone spends on itself.
SYNC_VARIANTS = 8
ID_MARK = json.dumps("<id>")


@functools.lru_cache(maxsize=2 * SYNC_VARIANTS)
def _sync_template(count: int, variant: int) -> list[str]:
    """A batch of :func:`sync_items` as JSON text, cut where each item's id goes."""
    items = sync_items(count)
    for item in items:
        item["data"]["id"] = "<id>"
    return json.dumps({"items": items}).split(ID_MARK)


def sync_body(count: int) -> str:
    """A sync batch's JSON body, of one of a few drawn batches, with fresh item ids."""
    parts = _sync_template(count, random.randrange(SYNC_VARIANTS))
    ids = [f'"{_random_uuid4(h)}"' for h in _hex_blocks(len(parts) - 1)]
    return "".join(itertools.chain.from_iterable(zip(parts[:-1], ids, strict=True))) + parts[-1]


def _hex_blocks(count: int) -> list[str]:
    """``count`` random 32-digit hex texts from one read of the system's random source."""
    digits = os.urandom(16 * count).hex()
    return [digits[i : i + 32] for i in range(0, 32 * count, 32)]


def _random_uuid4(h: str) -> str:
    """A random UUID (version 4, RFC 4122 variant) in its text form, from 32 hex digits: a
    fifth of ``str(uuid.uuid4())``'s cost, which 500 ids a body make worth saving."""
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def session_log(item_ids: list[str], today: str) -> dict[str, Any]:
    """A completed session of today's morning or evening, every prescribed item logged."""
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": _now_iso(),
        "date": today,
        "slot": random.choice(("morning", "evening")),
        "status": "completed",
        "items": [{"item_id": i, "sets_done": 2, "reps_done": 10} for i in item_ids],
        "exertion": random.randint(2, 6),
        "pain_during": random.randint(0, 5),
        "pain_after": random.randint(0, 5),
    }


def build_body(kind: str, spec: dict[str, Any], items: list[str] | None = None) -> bytes:
    """The JSON body of one request (``items``: the connection's patient's programme items)."""
    if kind == "none":
        return b""
    if kind == "static":
        return json.dumps(spec["body"]).encode()
    if kind in ("pain_rating", "bare_insert"):
        return json.dumps(pain_rating()).encode()
    if kind == "session_log":
        return json.dumps(session_log(items or [], spec["today"])).encode()
    if kind in ("sync", "bulk_insert"):
        return sync_body(spec.get("items", 500)).encode()
    raise ValueError(f"unknown body kind {kind!r}")


def _request_bytes(
    spec: dict[str, Any], headers: dict[str, str], items: list[str] | None = None
) -> bytes:
    body = build_body(spec.get("body_kind", "none"), spec, items)
    lines = [f"{spec['method']} {spec['path']} HTTP/1.1", f"Host: {spec['host']}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the server keeps the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    if length:
        await reader.readexactly(length)
    return status, keep


async def _connection(
    spec: dict[str, Any],
    headers: dict[str, str],
    items: list[str] | None,
    start_measure: float,
    stop_at: float,
    latencies: list[float],
    statuses: Counter[int],
) -> None:
    reader = writer = None
    try:
        while time.perf_counter() < stop_at:
            if writer is None:
                reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
            payload = _request_bytes(spec, headers, items)
            started = time.perf_counter()
            writer.write(payload)
            try:
                status, keep = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                reader = writer = None
                if started >= start_measure:
                    statuses[0] += 1
                continue
            if started >= start_measure:
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
            if not keep:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Drive ``spec`` and return the measured figures."""
    connections = spec.get("connections", 16)
    header_sets = spec.get("header_sets") or [{}]
    item_sets = spec.get("item_sets") or [None]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    begin = time.perf_counter()
    start_measure = begin + spec.get("warmup", 1.0)
    stop_at = start_measure + spec.get("duration", 4.0)
    cpu = asyncio.create_task(_machine_cpu(start_measure, stop_at))
    tasks = [
        asyncio.create_task(
            _connection(
                spec,
                header_sets[n % len(header_sets)],
                item_sets[n % len(item_sets)],
                start_measure,
                stop_at,
                latencies,
                statuses,
            )
        )
        for n in range(connections)
    ]
    # Bounded: a request still in flight when the window closes gets ``timeout`` seconds to finish.
    done, pending = await asyncio.wait(tasks, timeout=stop_at - begin + spec.get("timeout", 30))
    for task in pending:
        task.cancel()
    errors = [str(t.exception()) for t in done if t.exception() is not None]
    measured = time.perf_counter() - start_measure if not pending else spec.get("duration", 4.0)
    latencies.sort()
    window_ms = await cpu if not pending else float("nan")
    return {
        "requests": len(latencies),
        "throughput": len(latencies) / max(measured, 1e-9),
        "cpu_ms_per_request": window_ms / len(latencies) if latencies else float("nan"),
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors[:3],
        "unfinished": len(pending),
    }


async def _machine_cpu(start_measure: float, stop_at: float) -> float:
    """The whole machine's busy CPU ms during the measured window (server, database and this
    generator alike): per request, a figure that host noise moves far less than throughput."""
    await asyncio.sleep(max(0.0, start_measure - time.perf_counter()))
    before = cpu_times()
    await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
    return busy_ms(before, cpu_times())


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    # uvloop: the generator shares the 2 cores with the server, so the less CPU it spends per
    # request, the less it takes from what is measured (plain asyncio cost ~2x as much).
    print(json.dumps(uvloop.run(run(spec))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
