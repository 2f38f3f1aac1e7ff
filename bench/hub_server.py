#!/usr/bin/env python3
"""A loopback Hugging Face Hub stand-in for the remote benchmark and the README's example output.

Serves one folder as the repository REPO at revision main: the tree listing (/api/models/REPO/tree/main),
model info (/api/models/REPO[/revision/main]), and /REPO/resolve/main/FILE redirecting (302, X-Repo-Commit) to
/blob/FILE on the same server, which answers Range requests from the file on disk (sparse synth files: their data
is holes). DELAY_MS is added to every request. Counts requests and body bytes; GET /stats returns them.

    python3 bench/hub_server.py FOLDER REPO PORT [DELAY_MS]
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FOLDER, REPO, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
DELAY = (float(sys.argv[4]) if len(sys.argv) > 4 else 0.0) / 1000
COMMIT = "0123456789abcdef0123456789abcdef01234567"
STATS = {"requests": 0, "body_bytes": 0}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            with LOCK:
                STATS["body_bytes"] += len(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/stats":
            return self.send(200, json.dumps(STATS).encode())
        if path == "/reset":
            STATS.update(requests=0, body_bytes=0)
            return self.send(200)
        with LOCK:
            STATS["requests"] += 1
        time.sleep(DELAY)
        files = sorted(f for f in os.listdir(FOLDER) if os.path.isfile(os.path.join(FOLDER, f)))
        if path.startswith(f"/api/models/{REPO}/tree/"):
            listing = [{"type": "file", "path": f, "size": os.path.getsize(os.path.join(FOLDER, f)),
                        "oid": "0" * 40} for f in files]
            return self.send(200, json.dumps(listing).encode(), [("Content-Type", "application/json")])
        if path in (f"/api/models/{REPO}", f"/api/models/{REPO}/revision/main"):
            info = {"id": REPO, "modelId": REPO, "sha": COMMIT, "siblings": [{"rfilename": f} for f in files]}
            return self.send(200, json.dumps(info).encode(), [("Content-Type", "application/json")])
        for rev in ("main", COMMIT):
            prefix = f"/{REPO}/resolve/{rev}/"
            if path.startswith(prefix):
                name = path[len(prefix):]
                if name not in files:
                    return self.send(404, headers=[("X-Error-Code", "EntryNotFound")])
                size = os.path.getsize(os.path.join(FOLDER, name))
                return self.send(302, headers=[("Location", f"/blob/{name}"), ("X-Repo-Commit", COMMIT),
                                               ("X-Linked-Size", str(size)), ("ETag", f'"{name}"'),
                                               ("X-Linked-Etag", f'"{name}"')])
        if path.startswith("/blob/"):
            name = path[len("/blob/"):]
            full = os.path.join(FOLDER, name)
            if name not in files:
                return self.send(404)
            size = os.path.getsize(full)
            common = [("ETag", f'"{name}"'), ("X-Repo-Commit", COMMIT)]
            if self.command == "HEAD":
                self.send_response(200)
                for k, v in common:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                return
            rng = self.headers.get("Range")
            with open(full, "rb") as f:
                if rng and rng.startswith("bytes="):
                    a, b = rng[6:].split("-")
                    a = int(a)
                    b = min(int(b) if b else size - 1, size - 1)
                    f.seek(a)
                    body = f.read(b - a + 1)
                    return self.send(206, body, [("Content-Range", f"bytes {a}-{b}/{size}")] + common)
                return self.send(200, f.read(), common)
        self.send(404, headers=[("X-Error-Code", "RepoNotFound")])


ThreadingHTTPServer.daemon_threads = True
# The default backlog (5) drops connections a client opens 32 at a time, which then wait a SYN retransmit (1 s).
ThreadingHTTPServer.request_queue_size = 256
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
