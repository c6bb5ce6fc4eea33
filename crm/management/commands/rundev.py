"""Start the web server, a Celery worker and Celery beat together; Ctrl-C stops all three."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development server, a Celery worker and Celery beat together (Ctrl-C stops all three)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", "--noreload", addrport],
            "worker": [python, "-m", "celery", "-A", "crm", "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [python, "-m", "celery", "-A", "crm", "beat", "--loglevel=INFO"],
        }
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}
        self.stdout.write(
            f"Web: http://{addrport}/admin/  ·  Mailbox: http://{addrport}/admin/mailbox/  ·  Ctrl-C stops"
        )
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        stopped = [
            name
            for name, process in processes.items()
            if process.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)
        ]
        if stopped:
            self.stderr.write(f"Stopped unexpectedly: {', '.join(stopped)}")
