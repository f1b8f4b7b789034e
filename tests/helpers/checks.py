"""checks — what the Python integration tests share: a check that records a
failure and goes on, and a bounded wait for a server's port.

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                    "helpers"))
    from checks import check, failures, wait_port
"""
import socket
import time

failures = []


def check(cond, what):
    """Record a failed assertion without stopping the rest."""
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def wait_port(port, proc=None, host="127.0.0.1"):
    """Wait (at most 10 s) until a server accepts connections on port;
    stop the test if proc (the server) exits first."""
    for _ in range(200):
        if proc is not None and proc.poll() is not None:
            raise SystemExit("server exited early: %s" % proc.returncode)
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nothing listens on %s:%d" % (host, port))
