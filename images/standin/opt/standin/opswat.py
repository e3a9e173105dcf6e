"""Stand-in for the OPSWAT MetaDefender Core and ICAP Server images in the pod suite.

What the charts rely on, nothing more:
- GET /readyz on REST_PORT answers 200 only while a login to Postgres succeeds with DB_USER / DB_PWD at
  MDCORE_DB_HOST:MDCORE_DB_PORT (md-core) or DB_HOST:DB_PORT (md-icapsrv); 503 with the reason otherwise.
- GET /admin/export/v2 returns the configuration as a zip; POST /admin/import/v2 takes one. Both need the
  headers apikey == $APIKEY and password == $MD_PWD (401 otherwise). The configuration records which
  instance it was exported from, and an import logs it, so a test can follow it from pod to pod.
- ICAP_PORT (md-icapsrv) accepts connections and answers OPTIONS.
- SIGTERM stops the servers and exits 0.
"""
import http.server
import io
import json
import os
import signal
import socketserver
import sys
import threading
import zipfile

import psycopg2

INSTANCE = os.environ.get("MDICAPSRV_INSTANCE_NAME") or os.environ.get("MD_INSTANCE_NAME") or os.environ.get("HOSTNAME", "")
DB_HOST = os.environ.get("MDCORE_DB_HOST") or os.environ.get("DB_HOST", "")
DB_PORT = int(os.environ.get("MDCORE_DB_PORT") or os.environ.get("DB_PORT") or "5432")


def log(message):
    print(f"[standin {INSTANCE}] {message}", flush=True)


def database_error():
    """None when DB_USER / DB_PWD can log in to the database, else the reason."""
    try:
        conn = psycopg2.connect(
            host=DB_HOST, port=DB_PORT, user=os.environ["DB_USER"], password=os.environ["DB_PWD"], dbname="postgres", connect_timeout=3
        )
        try:
            with conn.cursor() as cur:
                cur.execute("select current_user")
                user = cur.fetchone()[0]
        finally:
            conn.close()
    except Exception as err:  # any failure means not ready, with its reason
        return str(err).strip()
    if not State.logged_in:
        State.logged_in = True
        log(f"logged in to postgres at {DB_HOST}:{DB_PORT} as {user}")
    return None


class State:
    logged_in = False
    config = {"exportedFrom": INSTANCE, "settings": {"scan": {"workflow": "default"}}}


class Rest(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        log(fmt % args)

    def reply(self, status, body, content_type="text/plain"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        ok = self.headers.get("apikey") == os.environ["APIKEY"] and self.headers.get("password") == os.environ["MD_PWD"]
        if not ok:
            log(f"{self.command} {self.path}: wrong apikey or password")
            self.reply(401, "unauthorized\n")
        return ok

    def do_GET(self):
        if self.path == "/readyz":
            err = database_error()
            self.reply(503 if err else 200, f"database: {err}\n" if err else "ready\n")
        elif self.path == "/admin/export/v2":
            if not self.authorized():
                return
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("config.json", json.dumps({**State.config, "exportedFrom": INSTANCE}))
            log("exported the configuration")
            self.reply(200, buf.getvalue(), "application/zip")
        else:
            self.reply(404, "not found\n")

    def do_POST(self):
        if self.path != "/admin/import/v2":
            self.reply(404, "not found\n")
            return
        if not self.authorized():
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                config = json.loads(z.read("config.json"))
        except (zipfile.BadZipFile, KeyError, ValueError) as err:
            self.reply(400, f"not a configuration export: {err}\n")
            return
        State.config = config
        log(f"imported the configuration exported from {config.get('exportedFrom')}")
        self.reply(200, json.dumps({"status": "imported"}), "application/json")


class Icap(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        if line.startswith(b"OPTIONS "):
            self.wfile.write(b"ICAP/1.0 200 OK\r\nMethods: RESPMOD, REQMOD\r\nISTag: \"standin\"\r\nEncapsulated: null-body=0\r\n\r\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class IcapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    servers = [Server(("", int(os.environ["REST_PORT"])), Rest)]
    if os.environ.get("ICAP_PORT"):
        servers.append(IcapServer(("", int(os.environ["ICAP_PORT"])), Icap))
    threads = [threading.Thread(target=s.serve_forever) for s in servers]

    def stop(signum, _frame):
        log(f"signal {signum}: stopping")
        for s in servers:
            threading.Thread(target=s.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for t in threads:
        t.start()
    log(f"serving REST on {os.environ['REST_PORT']}" + (f", ICAP on {os.environ['ICAP_PORT']}" if os.environ.get("ICAP_PORT") else ""))
    for t in threads:
        t.join()
    log("stopped")
    sys.exit(0)


if __name__ == "__main__":
    main()
