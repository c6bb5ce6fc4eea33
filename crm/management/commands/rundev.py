"""Start the web server, a Celery worker and Celery beat together; Ctrl-C stops all three.

The URL is printed once the web server accepts connections. If one of the three fails to start (a port in use,
a broken setting) or stops on its own later, the others are stopped and the command exits with status 1."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError

READY_TIMEOUT_SECONDS = 120
ADDRPORT = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:.]+\]|[^:\[\]]+):)?(?P<port>\d+)$")


def host_and_port(addrport: str) -> tuple[str, int]:
    """runserver's "[host:]port" as the address to connect to (0.0.0.0 and :: listen on loopback too)."""
    match = ADDRPORT.match(addrport)
    if not match:
        raise CommandError(f"{addrport!r} is not a port or host:port.")
    host = (match["host"] or "127.0.0.1").strip("[]")
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host), int(match["port"])  # noqa: S104


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on host:port already (binding as runserver does: with SO_REUSEADDR)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False  # runserver reports a bad host name itself
    family, _type, _proto, _name, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return True
    return False


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run the development server, a Celery worker and Celery beat together (Ctrl-C stops all three)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        host, port = host_and_port(addrport)
        if port_in_use(host, port):
            raise CommandError(f"Port {port} on {host} is in use: stop what runs there, or give another port.")
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", "--noreload", addrport],
            "worker": [python, "-m", "celery", "-A", "crm", "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [python, "-m", "celery", "-A", "crm", "beat", "--loglevel=INFO"],
        }
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}
        try:
            self.wait_until_listening(processes, host, port)
            self.stdout.write(
                f"Web: http://{addrport}/admin/  ·  Mailbox: http://{addrport}/admin/mailbox/  ·  Ctrl-C stops"
            )
            self.stdout.flush()
            while True:
                ended = [name for name, process in processes.items() if process.poll() is not None]
                if ended:
                    raise CommandError(f"Stopped unexpectedly: {', '.join(ended)} (see the messages above).")
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass  # Ctrl-C: stop all three and exit 0
        finally:
            self.stop(processes)

    def wait_until_listening(self, processes: dict[str, subprocess.Popen], host: str, port: int) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            failed = [name for name, process in processes.items() if process.poll() is not None]
            if failed:
                raise CommandError(f"Could not start: {', '.join(failed)} (see the messages above).")
            if listening(host, port):
                return
            if time.monotonic() > deadline:
                raise CommandError(f"The web server did not listen on {host}:{port} within {READY_TIMEOUT_SECONDS} s.")
            time.sleep(0.2)

    @staticmethod
    def stop(processes: dict[str, subprocess.Popen]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
