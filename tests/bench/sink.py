"""A fast SMTP sink for the send benchmarks, run in its own process: `python -m tests.bench.sink PORT`.

It speaks just enough SMTP for smtplib and Django's SMTP backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
accepts every message and counts it. Two extra verbs let the benchmark read and reset the counters over the same
port: `XSTAT` answers `250 <messages> <distinct recipients> <distinct Message-IDs> <time.time() of the last
message>` and `XRESET` empties everything. Nothing here imports Django.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sys
import time

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


class State:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.messages = 0
        self.recipients: set[bytes] = set()
        self.message_ids: set[bytes] = set()
        self.last = 0.0


STATE = State()


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 bench-sink ESMTP\r\n")
    recipients: list[bytes] = []
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-bench-sink\r\n250-8BITMIME\r\n250-SIZE 104857600\r\n250 SMTPUTF8\r\n")
            elif verb == b"HELO":
                writer.write(b"250 bench-sink\r\n")
            elif verb == b"MAIL":
                recipients = []
                writer.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                recipients.append(line[8:].strip().lower())
                writer.write(b"250 OK\r\n")
            elif verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                STATE.messages += 1
                STATE.last = time.time()
                STATE.recipients.update(recipients)
                head = data[: data.find(b"\r\n\r\n")]
                found = MESSAGE_ID.search(head)
                STATE.message_ids.add(found.group(1) if found else b"<none-%d>" % STATE.messages)
                recipients = []
                writer.write(b"250 OK queued\r\n")
            elif verb == b"RSET":
                recipients = []
                writer.write(b"250 OK\r\n")
            elif verb == b"NOOP":
                writer.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 Bye\r\n")
                await writer.drain()
                break
            elif verb == b"XSTA":
                stat = f"250 {STATE.messages} {len(STATE.recipients)} {len(STATE.message_ids)} {STATE.last!r}\r\n"
                writer.write(stat.encode())
            elif verb == b"XRES":
                STATE.reset()
                writer.write(b"250 OK\r\n")
            else:
                writer.write(b"502 Command not implemented\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(session, "127.0.0.1", port, limit=2**26, backlog=128)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


# The client side, used by the benchmark process --------------------------------------------------------------


def _command(port: int, verb: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        stream = sock.makefile("rwb")
        stream.readline()
        stream.write(verb.encode() + b"\r\n")
        stream.flush()
        answer = stream.readline().decode().strip()
        stream.write(b"QUIT\r\n")
        stream.flush()
        stream.readline()
        return answer


def sink_stat(port: int) -> dict:
    _code, messages, recipients, ids, last = _command(port, "XSTAT").split()
    return {"messages": int(messages), "recipients": int(recipients), "message_ids": int(ids), "last": float(last)}


def sink_reset(port: int) -> None:
    _command(port, "XRESET")


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
