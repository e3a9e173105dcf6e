"""Stand-in for the Service Virtualization server image in the pod suite.

Started by the image's bin/start-server.sh under sh (as the vendor's is). It waits until it can log in to
Postgres (SV_DB_WAIT_FOR host:port, SV_DB_USERNAME / SV_DB_PASSWORD, database SV_DB_NAME), then listens on
6085 (API) and the SV_SERVER_AGENT_PORTS range, writes work/server.state and appends to logs/server.log
under its home. SIGTERM: it logs, flushes, removes work/server.state and exits 0 after a short pause, as
a server finishing its writes would.
"""
import os
import signal
import socket
import sys
import threading
import time

import psycopg2

HOME = "/opt/microfocus/sv-server"
NAME = os.environ.get("HOSTNAME", "sv-server")
STATE = os.path.join(HOME, "work", "server.state")


def log(message):
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} [sv-standin {NAME}] {message}"
    print(line, flush=True)
    with open(os.path.join(HOME, "logs", "server.log"), "a") as f:
        f.write(line + "\n")


def wait_for_database(stop):
    host, port = os.environ["SV_DB_WAIT_FOR"].rsplit(":", 1)
    while not stop.is_set():
        try:
            psycopg2.connect(
                host=host,
                port=int(port),
                user=os.environ["SV_DB_USERNAME"],
                password=os.environ["SV_DB_PASSWORD"],
                dbname=os.environ.get("SV_DB_NAME", "postgres"),
                connect_timeout=3,
            ).close()
            log(f"logged in to postgres at {host}:{port} as {os.environ['SV_DB_USERNAME']}")
            return True
        except Exception as err:  # retried until it works or we are stopped
            log(f"waiting for the database: {str(err).strip()}")
            stop.wait(2)
    return False


def ports():
    first, last = os.environ.get("SV_SERVER_AGENT_PORTS", "7000-7009").split("-")
    return [6085, *range(int(first), int(last) + 1)]


def accept(sock, stop):
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        conn.close()


def main():
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log("starting")
    if not wait_for_database(stop):
        log("SIGTERM before the database was reachable")
        sys.exit(0)
    listeners = []
    for port in ports():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", port))
        s.listen()
        listeners.append(s)
    threads = [threading.Thread(target=accept, args=(s, stop)) for s in listeners]
    for t in threads:
        t.start()
    with open(STATE, "w") as f:
        f.write(f"running {NAME}\n")
    log(f"listening on {', '.join(str(p) for p in ports())}")
    stop.wait()
    log("SIGTERM: finishing writes")
    for t in threads:
        t.join()
    time.sleep(1)
    os.remove(STATE)
    log("stopped cleanly")
    sys.exit(0)


if __name__ == "__main__":
    main()
