#!/usr/bin/env python3
"""HTTP helpers for scripts/restore-drill.sh. Standard library only; talks to
127.0.0.1 only.

Commands:
  free-port                      print a free TCP port on 127.0.0.1
  wait    --port P [--pid PID]   poll GET /health until it answers 200
  load    --port P --tasks N     create projects and checklists, then POST N
                                 tasks with ~100-byte notes over keep-alive
                                 connections from many threads
  writer  --port P               create tasks in a loop (its own project and
                                 checklist) until SIGTERM/SIGINT or
                                 --max-seconds
  inspect --port P               page through GET /api/v1/projects, count
                                 projects, checklists and tasks, check every
                                 task's notes, and hash the whole content

Every command prints one line of `key=value` pairs on stdout (progress and
errors go to stderr) and exits non-zero on failure.
"""

import argparse
import hashlib
import http.client
import json
import os
import queue
import re
import signal
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
# About 100 bytes of plain text, so every task has a sealed field.
NOTES = (
    "Drill note: confirm the alert routes to on-call, record the result, "
    "link the evidence in the ticket."
)


def log(msg):
    print(f"[drill.py] {msg}", file=sys.stderr, flush=True)


def connect(port, timeout=60):
    return http.client.HTTPConnection(HOST, port, timeout=timeout)


def call(conn, method, path, payload=None):
    """One request on a keep-alive connection: (status, headers, body bytes)."""
    body = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, resp, data


def create(conn, path, payload):
    status, _, data = call(conn, "POST", path, payload)
    if status != 201:
        raise RuntimeError(f"POST {path} -> {status}: {data[:300]!r}")
    return json.loads(data)["id"]


def cmd_free_port(_args):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        print(s.getsockname()[1])
    return 0


def cmd_wait(args):
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        conn = connect(args.port, timeout=1)
        try:
            status, _, _ = call(conn, "GET", "/health")
            if status == 200:
                print("ready=1")
                return 0
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        if args.pid and not os.path.exists(f"/proc/{args.pid}"):
            log(f"the server (pid {args.pid}) exited before answering")
            return 1
        time.sleep(0.02)
    log(f"no 200 from /health within {args.timeout}s")
    return 1


def post_tasks(port, paths, concurrency, prefix):
    """POSTs one task to each path in `paths` from `concurrency` threads,
    each with its own keep-alive connection. Returns (created, failures)."""
    work = queue.SimpleQueue()
    for n, path in enumerate(paths):
        work.put((n, path))
    lock = threading.Lock()
    state = {"created": 0, "failed": 0, "statuses": {}}

    def worker():
        conn = connect(port)
        created = 0
        while True:
            try:
                n, path = work.get_nowait()
            except queue.Empty:
                break
            payload = {"title": f"{prefix} task {n}", "notes": NOTES}
            try:
                status, _, _ = call(conn, "POST", path, payload)
            except (OSError, http.client.HTTPException) as e:
                status = f"error:{type(e).__name__}"
                conn.close()
                conn = connect(port)
            if status == 201:
                created += 1
            else:
                with lock:
                    state["failed"] += 1
                    state["statuses"][str(status)] = state["statuses"].get(str(status), 0) + 1
        conn.close()
        with lock:
            state["created"] += created

    threads = [threading.Thread(target=worker) for _ in range(max(1, concurrency))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return state


def cmd_load(args):
    per_checklist = args.per_checklist
    n_checklists = max(1, -(-args.tasks // per_checklist))
    n_projects = max(1, -(-n_checklists // args.checklists_per_project))
    t0 = time.monotonic()
    conn = connect(args.port)
    checklists = []
    for p in range(n_projects):
        pid = create(
            conn,
            "/api/v1/projects",
            {
                "name": f"Drill project {p:04d}",
                "description": "restore drill",
                "ownerEmail": f"drill-{p}@example.com",
            },
        )
        for c in range(args.checklists_per_project):
            if len(checklists) == n_checklists:
                break
            cid = create(
                conn, f"/api/v1/projects/{pid}/checklists", {"name": f"Drill checklist {c:03d}"}
            )
            checklists.append(f"/api/v1/projects/{pid}/checklists/{cid}/tasks")
    conn.close()
    paths = [checklists[i // per_checklist] for i in range(args.tasks)]
    state = post_tasks(args.port, paths, args.concurrency, "drill")
    secs = time.monotonic() - t0
    statuses = ",".join(f"{k}:{v}" for k, v in sorted(state["statuses"].items())) or "-"
    print(
        f"projects={n_projects} checklists={n_checklists} tasks={state['created']} "
        f"failed={state['failed']} seconds={secs:.2f} "
        f"rate={state['created'] / secs if secs else 0:.0f} statuses={statuses}"
    )
    return 0 if state["failed"] == 0 else 1


def cmd_writer(args):
    """Creates tasks from --threads threads until stopped; prints the count."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    conn = connect(args.port)
    pid = create(conn, "/api/v1/projects", {"name": "Drill writer", "description": "writes during the backup"})
    cid = create(conn, f"/api/v1/projects/{pid}/checklists", {"name": "Written during backup"})
    conn.close()
    path = f"/api/v1/projects/{pid}/checklists/{cid}/tasks"
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("ready\n")
    lock = threading.Lock()
    state = {"ok": 0, "failed": 0}
    acks = []  # wall-clock ms of every acknowledged write
    t0 = time.monotonic()
    deadline = t0 + args.max_seconds

    def worker(w):
        c = connect(args.port)
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            n += 1
            try:
                status, _, _ = call(c, "POST", path, {"title": f"during backup {w}-{n}", "notes": NOTES})
            except (OSError, http.client.HTTPException):
                status = None
                c.close()
                c = connect(args.port)
            with lock:
                state["ok" if status == 201 else "failed"] += 1
                if status == 201:
                    acks.append(int(time.time() * 1000))
        c.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.threads)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=0.1)
    secs = time.monotonic() - t0
    if args.acks_file:
        with open(args.acks_file, "w") as f:
            f.writelines(f"{t}\n" for t in acks)
    print(
        f"writes={state['ok']} failed={state['failed']} seconds={secs:.2f} "
        f"rate={state['ok'] / secs if secs else 0:.0f} "
        f"stopped_by={'signal' if stop.is_set() else 'max-seconds'}"
    )
    return 0 if state["ok"] > 0 and state["failed"] == 0 else 1


def cmd_inspect(args):
    """Counts what the API serves and hashes it (projects sorted by id, each
    with its nested checklists and tasks, as canonical JSON)."""
    conn = connect(args.port, timeout=300)
    path = f"/api/v1/projects?limit={args.limit}"
    seen = set()
    projects = []
    while path:
        if path in seen:
            log(f"paging loops at {path}")
            return 1
        seen.add(path)
        status, resp, data = call(conn, "GET", path)
        if status != 200:
            log(f"GET {path} -> {status}: {data[:300]!r}")
            return 1
        projects.extend(json.loads(data))
        m = LINK_NEXT.search(resp.getheader("Link") or "")
        path = m.group(1) if m else None
    conn.close()
    projects.sort(key=lambda p: p["id"])
    checklists = tasks = missing_notes = 0
    for p in projects:
        for c in p.get("checklists", []):
            checklists += 1
            for t in c.get("tasks", []):
                tasks += 1
                if not t.get("notes"):
                    missing_notes += 1
    digest = hashlib.sha256()
    for p in projects:
        digest.update(json.dumps(p, sort_keys=True, separators=(",", ":")).encode())
        digest.update(b"\n")
    print(
        f"projects={len(projects)} unique={len({p['id'] for p in projects})} "
        f"checklists={checklists} tasks={tasks} notes_missing={missing_notes} "
        f"pages={len(seen)} sha256={digest.hexdigest()}"
    )
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("free-port").set_defaults(run=cmd_free_port)

    p = sub.add_parser("wait")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=cmd_wait)

    p = sub.add_parser("load")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tasks", type=int, required=True)
    p.add_argument("--per-checklist", type=int, default=1000)
    p.add_argument("--checklists-per-project", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=48)
    p.set_defaults(run=cmd_load)

    p = sub.add_parser("writer")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--max-seconds", type=float, default=20)
    p.add_argument("--ready-file", help="written once the writer's project exists")
    p.add_argument("--acks-file", help="gets the wall-clock ms of every acknowledged write")
    p.set_defaults(run=cmd_writer)

    p = sub.add_parser("inspect")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(run=cmd_inspect)

    args = parser.parse_args()
    try:
        return args.run(args)
    except (OSError, http.client.HTTPException, RuntimeError, ValueError) as e:
        log(f"{args.command} failed: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
