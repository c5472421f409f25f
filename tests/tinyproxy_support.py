"""Debian's tinyproxy as a real egress proxy for the integration tests.

`TinyProxy(listen)` writes a config file, runs `tinyproxy -d` (foreground, log on stderr) on a
free port of `listen`, and waits until it accepts connections. With no `ConnectPort` line every
port may be reached through CONNECT.
"""

from __future__ import annotations

import re
import socket
import subprocess
import tempfile
import time
from pathlib import Path

TINYPROXY = "/usr/bin/tinyproxy"


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


class TinyProxy:
    def __init__(self, listen: str = "127.0.0.1"):
        assert Path(TINYPROXY).exists(), f"{TINYPROXY} is missing (apt-get install tinyproxy)"
        self.host = listen
        self.port = _free_port(listen)
        self._dir = Path(tempfile.mkdtemp(prefix="tinyproxy-"))
        self.log_path = self._dir / "tinyproxy.log"
        conf = self._dir / "tinyproxy.conf"
        conf.write_text("\n".join([
            f"Port {self.port}", f"Listen {listen}", "Timeout 30", "MaxClients 50",
            "Allow 127.0.0.1", "Allow 127.0.0.2", "LogLevel Info", "User nobody", "Group nogroup",
            ""]))
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([TINYPROXY, "-d", "-c", str(conf)], stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((listen, self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"tinyproxy did not start:\n{self.log_text()}")
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def requests(self) -> list[str]:
        """The request lines the proxy received, e.g. 'CONNECT 127.0.0.1:8080 HTTP/1.1'."""
        return re.findall(r"Request \(file descriptor \d+\): (.*)", self.log_text())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()
