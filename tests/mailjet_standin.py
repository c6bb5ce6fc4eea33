"""A loopback stand-in for Mailjet's Send API v3.1 (POST /v3.1/send), for tests and the ESP benchmark.

It answers in Mailjet's formats as django-anymail's own tests record them (tests/test_mailjet_backend.py): for each
entry of "Messages", in order, "Status": "success" with the recipient's MessageUUID, MessageID and MessageHref, or
"Status": "error" with "Errors" (mj-0013, an invalid address) — any error makes the whole answer an HTTP 400, which
is how Mailjet reports a partial failure; a rate limit is an HTTP 429 with the text/html body "Rate limit exceeded".
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class MailjetStandIn:
    """`with MailjetStandIn() as esp:` serves on 127.0.0.1:esp.port; point ANYMAIL's MAILJET_API_URL at esp.url."""

    def __init__(self, *, delay: float = 0.0, keep: bool = True):
        self.delay = delay  # seconds each call takes
        self.keep = keep  # record the requests (off for the benchmark)
        self.refuse: set[str] = set()  # addresses answered with mj-0013
        self.rate_limited = 0  # the next this many calls answer 429
        self.requests: list[dict] = []
        self.calls = 0
        self.messages = 0
        self.lock = threading.Lock()
        self.ids = itertools.count(70650219165027410)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v3.1/"

    def __enter__(self) -> MailjetStandIn:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict:
        return {"MAILJET_API_KEY": "API KEY HERE", "MAILJET_SECRET_KEY": "SECRET KEY HERE", "MAILJET_API_URL": self.url}

    def sent_to(self) -> list[str]:
        return [m["To"][0]["Email"] for request in self.requests for m in request["Messages"]]

    def answer(self, body: dict) -> tuple[int, str, bytes]:
        with self.lock:
            self.calls += 1
            if self.rate_limited > 0:
                self.rate_limited -= 1
                return 429, "text/html", b"Rate limit exceeded"
            if self.keep:
                self.requests.append(body)
            answers, failed = [], False
            for message in body["Messages"]:
                email = message["To"][0]["Email"]
                if email.lower() in self.refuse:
                    failed = True
                    answers.append(
                        {
                            "Errors": [
                                {
                                    "ErrorIdentifier": str(uuid.uuid4()),
                                    "ErrorCode": "mj-0013",
                                    "StatusCode": 400,
                                    "ErrorMessage": f'"{email}" is an invalid email address.',
                                    "ErrorRelatedTo": ["To[0].Email"],
                                }
                            ],
                            "Status": "error",
                        }
                    )
                    continue
                self.messages += 1
                message_id = next(self.ids)
                answers.append(
                    {
                        "Status": "success",
                        "CustomID": "",
                        "To": [
                            {
                                "Email": email,
                                "MessageUUID": str(uuid.uuid4()),
                                "MessageID": message_id,
                                "MessageHref": f"https://api.mailjet.com/v3/REST/message/{message_id}",
                            }
                        ],
                        "Cc": [],
                        "Bcc": [],
                    }
                )
        return 400 if failed else 200, "application/json", json.dumps({"Messages": answers}).encode()

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real API
            wbufsize = -1  # the answer leaves in one write (flushed after each request), no Nagle delay in between
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                authorised = (
                    self.headers.get("Authorization", "")
                    == "Basic " + base64.b64encode(b"API KEY HERE:SECRET KEY HERE").decode()
                )
                if self.path != "/v3.1/send" or not authorised:
                    status, kind, data = 401, "application/json", b'{"ErrorMessage": "API key authentication"}'
                else:
                    if standin.delay:
                        time.sleep(standin.delay)
                    status, kind, data = standin.answer(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
