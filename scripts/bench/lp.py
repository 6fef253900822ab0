#!/usr/bin/env python3
"""Helpers for scripts/bench.sh: readiness polling, cold-start timing, bulk
loading, paging and a steady background writer (`churn`) that keeps the
response cache invalidated. Standard library only; talks to 127.0.0.1 only.

Every command prints one machine-readable line of `key=value` pairs on stdout
(progress and errors go to stderr) and exits non-zero on failure.
"""

import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
# Printable, JSON-safe filler for notes: no quotes, backslashes or controls.
FILLER = (
    "Runbook step: check the dashboard, confirm the alert routes to the on-call "
    "rotation, record the result and link the evidence. "
)


def log(msg):
    print(f"[lp.py] {msg}", file=sys.stderr, flush=True)


PILLARS = ["reliability", "security", "observability", "supportability"]


def assessment_body(n):
    """An assessment of every pillar, scores varying with `n`, with evidence,
    two links, an owner (sealed) and a checkpoint."""
    return {
        "scores": [
            {
                "pillar": pillar,
                "score": 1 + (n + i) % 5,
                "target": 4,
                "evidence": f"Assessment {n}: load tests, dashboards and runbook reviews for {pillar}.",
                "links": [f"https://ci.example.com/run/{n}", f"https://grafana.example.com/d/{pillar}"],
                "owner": f"Owner {i}",
                "nextCheckpoint": "2027-01-15",
            }
            for i, pillar in enumerate(PILLARS)
        ]
    }


def notes_text(size):
    if size <= 0:
        return None
    return (FILLER * (size // len(FILLER) + 1))[:size]


def get_status(port, path, timeout=1.0):
    """One GET on a fresh connection; returns the status, or None when refused."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (ConnectionError, socket.timeout, http.client.HTTPException, OSError):
        return None
    finally:
        conn.close()


def request_json(conn, method, path, payload=None):
    body = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, resp, data


# --- commands ---------------------------------------------------------------


def cmd_free_port(_args):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        print(s.getsockname()[1])
    return 0


def cmd_wait(args):
    """Polls until GET path answers 200 (or the pid dies, or time runs out)."""
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if get_status(args.port, args.path) == 200:
            print("ready=1")
            return 0
        if args.pid and not os.path.exists(f"/proc/{args.pid}"):
            log(f"process {args.pid} exited before becoming ready")
            return 1
        time.sleep(0.01)
    log(f"no 200 from {args.path} within {args.timeout}s")
    return 1


def stop_process(proc, grace=10.0):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cmd_coldstart(args):
    """Spawns the server and times spawn -> first 200 of GET path, in ms.

    The clock starts immediately before fork/exec and stops when the first
    200 has been read. Polling is tight (0.2 ms between refused connects) so
    the resolution is well under a millisecond.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    # A SIGTERM to this helper still stops the server (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = dict(os.environ)
    argv = [args.bin, "serve", "--listen", f"{HOST}:{port}", "--data-dir", args.data_dir]
    with open(args.log, "ab") as logf:
        t0 = time.perf_counter_ns()
        proc = subprocess.Popen(argv, env=env, stdout=logf, stderr=subprocess.STDOUT)
        try:
            if args.pidfile:
                with open(args.pidfile, "w") as f:
                    f.write(f"{proc.pid}\n")
            deadline = time.monotonic() + args.timeout
            while True:
                status = get_status(port, args.path, timeout=2.0)
                if status == 200:
                    t1 = time.perf_counter_ns()
                    break
                if proc.poll() is not None:
                    log(f"server exited with {proc.returncode} before answering")
                    return 1
                if time.monotonic() > deadline:
                    log(f"no 200 within {args.timeout}s")
                    return 1
                time.sleep(0.0002)
        finally:
            stop_process(proc)
            if args.pidfile:
                try:
                    os.unlink(args.pidfile)
                except FileNotFoundError:
                    pass
    print(f"ms={(t1 - t0) / 1e6:.2f}")
    return 0


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = b""
    return status, headers, body


async def load(port, path, count, concurrency, make_body, timeout):
    """POSTs `count` bodies over `concurrency` keep-alive connections.

    No retries: a request whose outcome is unknown counts as failed, so the
    caller checks the real count afterwards.
    """
    state = {"next": 0, "created": 0, "failed": 0, "statuses": {}}

    async def worker():
        reader = writer = None
        while state["next"] < count:
            n = state["next"]
            state["next"] += 1
            body = make_body(n).encode()
            req = (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(req)
                await writer.drain()
                status, headers, _ = await asyncio.wait_for(read_response(reader), 60)
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
                status = f"error:{type(e).__name__}"
                if writer is not None:
                    writer.close()
                writer = None
            if status == 201:
                state["created"] += 1
            else:
                state["failed"] += 1
                key = str(status)
                state["statuses"][key] = state["statuses"].get(key, 0) + 1
        if writer is not None:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    await asyncio.wait_for(asyncio.gather(*workers), timeout)
    return state


def cmd_load(args):
    prefix = args.prefix
    notes = notes_text(args.notes_bytes)
    if args.kind == "project":

        def make_body(n):
            return json.dumps(
                {
                    "name": f"{prefix}-{n}",
                    "description": "bulk-loaded benchmark project",
                    "ownerEmail": "bench@example.com",
                }
            )

    elif args.kind == "assessment":

        def make_body(n):
            return json.dumps(assessment_body(n))

    else:

        def make_body(n):
            # Every other task is tagged, every fourth required: what a
            # checklist made from templates looks like.
            payload = {"title": f"{prefix} task {n}"}
            if n % 2 == 0:
                payload["pillar"] = PILLARS[(n // 2) % 4]
            if n % 4 == 0:
                payload["required"] = True
            if notes is not None:
                payload["notes"] = notes
            return json.dumps(payload)

    t0 = time.monotonic()
    state = asyncio.run(
        load(args.port, args.path, args.count, args.concurrency, make_body, args.timeout)
    )
    secs = time.monotonic() - t0
    statuses = ",".join(f"{k}:{v}" for k, v in sorted(state["statuses"].items())) or "-"
    print(
        f"created={state['created']} failed={state['failed']} seconds={secs:.2f} "
        f"rate={state['created'] / secs if secs else 0:.0f} statuses={statuses}"
    )
    return 0 if state["failed"] == 0 else 1


def spread(ids, count, page_limit):
    """`count` ids evenly spread over `ids`, leaving out the last `page_limit`
    so that the page after every chosen cursor is a full one."""
    usable = ids[: max(1, len(ids) - page_limit)]
    if count >= len(usable):
        return list(usable)
    return [usable[(i * len(usable)) // count] for i in range(count)]


def cmd_count(args):
    """Pages through the whole list; prints the count and an id from the middle.

    With --sample-file, also writes --sample ids evenly spread over the list
    (one a line) for wrk scripts that vary the cursor.
    """
    conn = http.client.HTTPConnection(HOST, args.port, timeout=60)
    path = f"/api/v1/projects?limit={args.limit}"
    ids = []
    seen_paths = set()
    t0 = time.monotonic()
    while path:
        if path in seen_paths:
            log(f"paging loops at {path}")
            return 1
        seen_paths.add(path)
        status, resp, data = request_json(conn, "GET", path)
        if status != 200:
            log(f"GET {path} -> {status}")
            return 1
        ids.extend(p["id"] for p in json.loads(data))
        m = LINK_NEXT.search(resp.getheader("Link") or "")
        path = m.group(1) if m else None
    conn.close()
    middle = ids[len(ids) // 2] if ids else "-"
    sampled = 0
    if args.sample_file:
        chosen = spread(ids, args.sample, args.sample_page_limit) if ids else []
        with open(args.sample_file, "w") as f:
            f.writelines(f"{i}\n" for i in chosen)
        sampled = len(chosen)
    print(
        f"count={len(ids)} unique={len(set(ids))} middle={middle} "
        f"pages={len(seen_paths)} seconds={time.monotonic() - t0:.2f} sampled={sampled}"
    )
    return 0


async def churn(args):
    """PATCHes one project's description at a steady rate until stopped.

    A tick every 1/rate seconds starts one PATCH on an idle keep-alive
    connection, opening another (up to --connections) when all are busy, so
    slow answers under load do not lower the rate. A tick that finds
    --connections PATCHes still in flight is skipped (counted), and a stalled
    loop drops its missed ticks, so the rate never bursts to catch up.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(args.max_seconds, stop.set)

    path = f"/api/v1/projects/{args.project}"
    idle = []
    state = {"ok": 0, "failed": 0, "skipped": 0, "statuses": {}, "latencies": [], "opened": 0, "stale": 0}
    in_flight = set()

    async def send(req, reader, writer):
        if writer is None:
            reader, writer = await asyncio.open_connection(HOST, args.port)
            state["opened"] += 1
        writer.write(req)
        await writer.drain()
        status, headers, _ = await asyncio.wait_for(read_response(reader), 30)
        if headers.get("connection", "").lower() == "close":
            writer.close()
            reader = writer = None
        return status, reader, writer

    async def one(n, conn):
        reader, writer = conn if conn else (None, None)
        body = json.dumps({"description": f"bench churn {args.tag} {n}"}).encode()
        req = (
            f"PATCH {path} HTTP/1.1\r\nHost: {HOST}:{args.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        t_start = time.monotonic()
        errors = (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError)
        try:
            try:
                status, reader, writer = await send(req, reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                if writer is None:
                    raise
                # A kept-alive connection the server closed while it sat idle
                # (actix closes idle connections after a few seconds): once
                # more on a fresh connection, as HTTP clients do.
                writer.close()
                state["stale"] += 1
                status, reader, writer = await send(req, None, None)
            state["latencies"].append(time.monotonic() - t_start)
        except errors as e:
            status = f"error:{type(e).__name__}"
            writer = None
        if status == 200:
            state["ok"] += 1
        else:
            state["failed"] += 1
            key = str(status)
            state["statuses"][key] = state["statuses"].get(key, 0) + 1
        if writer is not None:
            idle.append((reader, writer))

    t0 = time.monotonic()
    n = 0
    while not stop.is_set():
        delay = t0 + n / args.rate - time.monotonic()
        if delay > 0:
            try:
                await asyncio.wait_for(stop.wait(), delay)
                break
            except asyncio.TimeoutError:
                pass
        elif delay < -1 / args.rate:
            # Late by more than a tick (a stalled loop): drop the missed ticks.
            missed = int(-delay * args.rate)
            state["skipped"] += missed
            n += missed
        n += 1
        if len(in_flight) >= args.connections:
            state["skipped"] += 1
            continue
        conn = idle.pop() if idle else None
        task = asyncio.create_task(one(n, conn))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    secs = time.monotonic() - t0
    if in_flight:
        await asyncio.wait(in_flight, timeout=10)
    for _, writer in idle:
        writer.close()
    return state, secs


def cmd_churn(args):
    state, secs = asyncio.run(churn(args))
    statuses = ",".join(f"{k}:{v}" for k, v in sorted(state["statuses"].items())) or "-"
    lat = sorted(state["latencies"])

    def pct(p):
        return f"{lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000:.1f}" if lat else "?"

    print(
        f"writes={state['ok']} failed={state['failed']} skipped={state['skipped']} "
        f"seconds={secs:.2f} rate={state['ok'] / secs if secs else 0:.0f} "
        f"p50_ms={pct(50)} p99_ms={pct(99)} connections={state['opened']} "
        f"stale_reconnects={state['stale']} statuses={statuses}"
    )
    # Failed PATCHes are reported, not fatal: they only lower the rate.
    return 0 if state["ok"] > 0 else 1


def cmd_fixture(args):
    """Creates one project with one checklist; prints both ids."""
    conn = http.client.HTTPConnection(HOST, args.port, timeout=30)
    status, _, data = request_json(
        conn,
        "POST",
        "/api/v1/projects",
        {"name": args.name, "description": "benchmark fixture", "ownerEmail": "bench@example.com"},
    )
    if status != 201:
        log(f"creating the project -> {status}: {data[:300]!r}")
        return 1
    project = json.loads(data)["id"]
    status, _, data = request_json(
        conn, "POST", f"/api/v1/projects/{project}/checklists", {"name": "Benchmark checklist"}
    )
    if status != 201:
        log(f"creating the checklist -> {status}: {data[:300]!r}")
        return 1
    checklist = json.loads(data)["id"]
    print(f"project={project} checklist={checklist}")
    return 0


def cmd_inspect(args):
    """GETs one path; prints status, body bytes and what the JSON holds."""
    conn = http.client.HTTPConnection(HOST, args.port, timeout=30)
    status, resp, data = request_json(conn, "GET", args.path)
    items = tasks = notes_chars = -1
    first = "-"
    if status == 200:
        doc = json.loads(data)
        projects = doc if isinstance(doc, list) else [doc]
        items = len(projects)
        if projects:
            first = projects[0].get("id", "-")
        tasks = notes_chars = 0
        for p in projects:
            for c in p.get("checklists", []):
                for t in c.get("tasks", []):
                    tasks += 1
                    notes_chars += len(t.get("notes") or "")
    has_next = "yes" if LINK_NEXT.search(resp.getheader("Link") or "") else "no"
    print(
        f"status={status} bytes={len(data)} items={items} tasks={tasks} "
        f"notes_chars={notes_chars} next={has_next} first={first}"
    )
    return 0 if status == 200 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)

    sub.add_parser("free-port")

    p = sub.add_parser("wait")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/api/v1/projects")
    p.add_argument("--pid", type=int)
    p.add_argument("--timeout", type=float, default=30)

    p = sub.add_parser("coldstart")
    p.add_argument("--bin", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--pidfile")
    p.add_argument("--path", default="/api/v1/projects")
    p.add_argument("--timeout", type=float, default=30)

    p = sub.add_parser("load")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--kind", choices=["project", "task", "assessment"], required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--prefix", default="bulk")
    p.add_argument("--notes-bytes", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1200)

    p = sub.add_parser("count")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--sample", type=int, default=1000)
    p.add_argument("--sample-file")
    p.add_argument("--sample-page-limit", type=int, default=50)

    p = sub.add_parser("churn")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--project", required=True)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--connections", type=int, default=256)
    p.add_argument("--max-seconds", type=float, default=120)
    p.add_argument("--tag", default="run")

    p = sub.add_parser("fixture")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="Notes benchmark")

    p = sub.add_parser("inspect")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)

    args = ap.parse_args()
    handler = {
        "free-port": cmd_free_port,
        "wait": cmd_wait,
        "coldstart": cmd_coldstart,
        "load": cmd_load,
        "count": cmd_count,
        "churn": cmd_churn,
        "fixture": cmd_fixture,
        "inspect": cmd_inspect,
    }[args.cmd]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
