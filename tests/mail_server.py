"""A real SMTP server on loopback for the tests (aiosmtpd) and a free port to run it on."""
from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy


class Inbox:
    """Collects what a real SMTP server on loopback received."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def links(message) -> list[str]:
        return re.findall(r"https?://\S+", Inbox.body(message))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
