#!/usr/bin/env python3
"""A webhook receiver for scripts/demo: answers every POST with 200 and
appends the request body (one JSON document per line) to --out, so the demo
can show what pgwarden delivered. GET / answers with the number of
notifications received so far. Listens on 127.0.0.1 only.

Python standard library only.
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pgwarden-demo-webhook/1"
    lock = threading.Lock()
    received = 0
    out_path = ""

    def _answer(self, code, body):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server naming)
        with Handler.lock:
            self._answer(200, {"received": Handler.received})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            self._answer(413, {"error": "body too large"})
            return
        body = self.rfile.read(length)
        try:
            doc = json.loads(body)
        except ValueError:
            self._answer(400, {"error": "not JSON"})
            return
        with Handler.lock:
            Handler.received += 1
            with open(Handler.out_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path, "body": doc}) + "\n")
        self._answer(200, {"ok": True})

    def log_message(self, fmt, *args):  # one short line per request on stderr
        super().log_message(fmt, *args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True, help="file the received bodies are appended to")
    args = parser.parse_args()
    Handler.out_path = args.out
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
