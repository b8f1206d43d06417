#!/usr/bin/env python3
"""An HTTPS receiver for webhook TLS tests (standard library only).

    https_sink.py --cert FILE --key FILE --record FILE

Listens on 127.0.0.1 (a free port), prints "READY <port>" on stdout, answers
every POST with 200 and appends it to the record file as one JSON line:
{"path": ..., "headers": {...}, "body": ...}. A client that rejects the
certificate never gets to send anything, so nothing is recorded for it.
"""
import argparse
import http.server
import json
import ssl
import sys
import threading

LOCK = threading.Lock()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--record", required=True)
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8", "replace")
            rec = {"path": self.path, "body": body,
                   "headers": {k.lower(): v for k, v in self.headers.items()}}
            with LOCK, open(args.record, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *a):  # quiet: the test reads the record file
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("READY", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
