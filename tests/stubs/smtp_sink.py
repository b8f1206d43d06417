#!/usr/bin/python3
"""A real SMTP server for tests (Debian's python3-aiosmtpd) on 127.0.0.1.

Records every accepted message as DIR/msg-<n>.json (mail_from, rcpt_tos,
data, tls, login). With --cert/--key it offers STARTTLS and requires it;
with --auth-file (a "user:password" line) AUTH is required. While the file
named by --fail-file exists, DATA is answered with its first line (e.g.
"451 4.3.0 try again later"). Writes DIR/ready when it listens.
"""
import argparse
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth-file")
    p.add_argument("--fail-file")
    a = p.parse_args()

    counter = {"n": 0}
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if a.fail_file and os.path.exists(a.fail_file):
                with open(a.fail_file) as f:
                    return f.readline().strip()
            with lock:
                counter["n"] += 1
                n = counter["n"]
            rec = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                "tls": session.ssl is not None,
                "login": getattr(session, "pgw_login", None) if session.authenticated else None,
            }
            tmp = os.path.join(a.dir, "msg-%d.tmp" % n)
            with open(tmp, "w") as f:
                json.dump(rec, f)
            os.rename(tmp, os.path.join(a.dir, "msg-%d.json" % n))
            return "250 2.0.0 OK"

    kwargs = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if a.auth_file:
        with open(a.auth_file) as f:
            user, password = f.readline().rstrip("\n").split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            if ok:
                session.pgw_login = user
            return AuthResult(success=ok)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(a.cert))
    c = Controller(Handler(), hostname="127.0.0.1", port=a.port, **kwargs)
    c.start()
    with open(os.path.join(a.dir, "ready"), "w") as f:
        f.write(str(a.port))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    c.stop()


if __name__ == "__main__":
    main()
