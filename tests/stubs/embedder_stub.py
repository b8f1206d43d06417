#!/usr/bin/env python3
"""A stand-in for the HTTP embedding service, for tests and the demo.

Speaks the service's API:
  GET  /health -> {"status":"healthy","metal_available":true,"model_loaded":true}
  POST /embed  {"text": ...} -> {"embedding":[D floats],"cached":bool}
  GET  /stats  -> {"cache_size":N,"requests":M}
and misbehaves on demand, chosen with --mode or at runtime with
POST /_control {"mode": "..."}:
  ok, down (closes the listener and exits), http503, slow (sleeps --slow-seconds
  before answering), malformed (invalid JSON), wrong_dimension (D+1 floats),
  nan (NaN in the vector, as Python's json writes it), huge (a 50 MB body,
  streamed), unhealthy (status "degraded").
/_control always answers normally, whatever the mode. Prints "READY <port>"
on stdout once listening (--port 0 picks a free port).

Python standard library only.
"""
import argparse
import hashlib
import json
import math
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "down", "http503", "slow", "malformed", "wrong_dimension", "nan", "huge", "unhealthy")
HUGE_BYTES = 50 * 1024 * 1024


def embedding_for(text, dimension):
    """A deterministic unit vector derived from the text's SHA-256."""
    values = []
    counter = 0
    while len(values) < dimension:
        block = hashlib.sha256(f"{counter}:{text}".encode("utf-8", "replace")).digest()
        for i in range(0, len(block), 4):
            (n,) = struct.unpack(">I", block[i:i + 4])
            values.append(n / 2**32 * 2 - 1)
        counter += 1
    values = values[:dimension]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


class State:
    def __init__(self, mode, dimension, slow_seconds):
        self.lock = threading.Lock()
        self.mode = mode
        self.dimension = dimension
        self.slow_seconds = slow_seconds
        self.cache = {}
        self.requests = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "embedder-stub/1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def send_json(self, status, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            raise ValueError("request too large")
        return self.rfile.read(length) if length else b""

    def misbehave(self):
        """Handles the current mode's failure; returns True when it answered."""
        state = self.server.state
        mode = state.mode
        if mode == "slow":
            time.sleep(state.slow_seconds)
            return False
        if mode == "http503":
            self.send_json(503, {"error": "service unavailable"})
            return True
        if mode == "malformed":
            self.send_json(200, raw=b'{"status": "healthy", "embedding": [0.1, 0.2,')
            return True
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(HUGE_BYTES))
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(HUGE_BYTES // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up at its size cap, as it should
            self.close_connection = True
            return True
        return False

    def do_GET(self):
        state = self.server.state
        with state.lock:
            state.requests += 1
        if self.misbehave():
            return
        if self.path == "/health":
            status = "degraded" if state.mode == "unhealthy" else "healthy"
            self.send_json(200, {"status": status, "metal_available": True,
                                 "model_loaded": state.mode != "unhealthy"})
        elif self.path == "/stats":
            with state.lock:
                self.send_json(200, {"cache_size": len(state.cache), "requests": state.requests})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        state = self.server.state
        try:
            body = self.read_body()
        except ValueError:
            self.send_json(413, {"error": "request too large"})
            return
        if self.path == "/_control":
            self.control(body)
            return
        with state.lock:
            state.requests += 1
        if self.misbehave():
            return
        if self.path != "/embed":
            self.send_json(404, {"error": "not found"})
            return
        try:
            text = json.loads(body)["text"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            self.send_json(400, {"error": "expected {\"text\": string}"})
            return
        dimension = state.dimension + (1 if state.mode == "wrong_dimension" else 0)
        with state.lock:
            cached = text in state.cache
            state.cache.setdefault(text, True)
        vector = embedding_for(text, dimension)
        if state.mode == "nan" and vector:
            vector[len(vector) // 2] = float("nan")
        self.send_json(200, {"embedding": vector, "cached": cached})

    def control(self, body):
        try:
            mode = json.loads(body)["mode"]
        except (ValueError, KeyError, TypeError):
            self.send_json(400, {"error": "expected {\"mode\": ...}"})
            return
        if mode not in MODES:
            self.send_json(400, {"error": "unknown mode", "modes": list(MODES)})
            return
        self.server.state.mode = mode
        self.send_json(200, {"mode": mode})
        if mode == "down":
            # Answer first, then stop listening and exit.
            threading.Thread(target=self.server.shutdown, daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dimension", type=int, default=768)
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--slow-seconds", type=float, default=30.0,
                        help="how long 'slow' sleeps before answering")
    args = parser.parse_args()
    if args.dimension < 0:
        parser.error("--dimension must be >= 0")
    if args.mode == "down":
        return 0  # a service that is down never listens

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.mode, args.dimension, args.slow_seconds)
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
