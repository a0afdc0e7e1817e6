"""Child processes of the suite: started with their output in files, always reaped.

Every process the suite starts is registered in `CHILDREN`; an atexit hook (and the signal
handlers `run.py` installs) stop whatever is still running, so a failing or interrupted run
never leaves a worker, a broker or a sandbox behind. Processes are stopped one by one, by pid.
"""

import atexit
import os
import re
import signal
import socket
import subprocess
import threading
import time


class SuiteFailure(Exception):
    """A scenario could not go on: the message says what was awaited and what was seen."""


def free_port():
    """A TCP port nothing listens on right now (bind to port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout, what, interval=0.25):
    """Polls `condition` until it returns a truthy value, which is returned.

    Polling is the only way here: the things awaited live in other processes (a log line, an
    HTTP answer, a Kafka record); every wait is bounded and fails naming what it waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise SuiteFailure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


class ChildProcess:
    """One started process, its log files and whether the suite itself stopped it.

    `signal_child`: the process is a wrapper that forks the real program and waits for it
    (`faketime`, which does not pass signals on); signals go to its child, and the wrapper
    exits with the child's status."""

    def __init__(self, name, argv, env, log_dir, cwd=None, signal_child=False):
        self.name = name
        self.argv = argv
        self.signal_child = signal_child
        self.stdout_path = os.path.join(log_dir, f"{name}.out")
        self.stderr_path = os.path.join(log_dir, f"{name}.err")
        self.stopped_by_suite = False
        self.started_at = time.monotonic()
        self.exited_at = None
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            # A session of its own: a Ctrl-C on the suite reaches the suite only, which then
            # stops its children in order.
            self.popen = subprocess.Popen(
                argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
            )
        self.pid = self.popen.pid

    def alive(self):
        alive = self.popen.poll() is None
        if not alive and self.exited_at is None:
            self.exited_at = time.monotonic()
        return alive

    @property
    def returncode(self):
        return self.popen.poll()

    def send(self, sig):
        """Sends `sig` to this process (by pid) and remembers the suite did it."""
        self.stopped_by_suite = True
        if self.alive():
            try:
                os.kill(self._signal_target(), sig)
            except ProcessLookupError:
                pass

    def _signal_target(self):
        if self.signal_child:
            try:
                with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
                    children = f.read().split()
                if children:
                    return int(children[0])
            except OSError:
                pass
        return self.pid

    def wait(self, timeout):
        """The exit code, or None when still running after `timeout` seconds."""
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.alive()
        return code

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code."""
        if not self.alive():
            self.stopped_by_suite = True
            return self.returncode
        self.send(signal.SIGTERM)
        code = self.wait(grace)
        if code is None:
            self.send(signal.SIGKILL)
            code = self.wait(10)
        return code

    def read_stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tail(self, lines=15):
        """The last lines of both logs, for failure messages."""
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            try:
                with open(path, "rb") as f:
                    f.seek(max(0, os.path.getsize(path) - 64 * 1024))
                    text = f.read().decode("utf-8", "replace").splitlines()[-lines:]
            except OSError:
                text = []
            if text:
                parts.append(f"--- {os.path.basename(path)} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(parts)

    def wait_for_stdout(self, pattern, timeout):
        """The first match of `pattern` in stdout, waiting for it while the process runs."""
        regex = re.compile(pattern, re.MULTILINE)

        def found():
            match = regex.search(self.read_stdout())
            if match:
                return match
            if not self.alive():
                raise SuiteFailure(
                    f"{self.name} exited with {self.returncode} before printing /{pattern}/\n{self.tail()}"
                )
            return None

        return wait_until(found, timeout, f"{self.name} to print /{pattern}/")


class ProcessRegistry:
    """All children of the suite, stopped at exit whatever happened."""

    def __init__(self):
        self._children = []
        self._lock = threading.Lock()
        atexit.register(self.stop_all)

    def start(self, name, argv, env, log_dir, cwd=None, signal_child=False):
        child = ChildProcess(name, argv, env, log_dir, cwd, signal_child)
        with self._lock:
            self._children.append(child)
        return child

    def stop_all(self):
        with self._lock:
            children = [c for c in self._children if c.alive()]
        for child in children:
            child.stop(grace=3.0)


CHILDREN = ProcessRegistry()
