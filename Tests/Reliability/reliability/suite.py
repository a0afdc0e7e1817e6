"""What all scenarios of one run share: the binary, sizes, the run directory, the store server."""

import os
import random
import subprocess
import time

from .kafka_clients import log_clients_to
from .postgres import shared_server_url
from .processes import SuiteFailure


class Suite:
    def __init__(self, repo, binary, long, seed, run_dir):
        self.repo = repo
        self.binary = os.path.abspath(binary)
        self.long = long
        self.seed = seed
        self.rng = random.Random(seed)
        self.run_dir = run_dir
        self.keys_dirs = []  # every sandbox's key files, for the secrets scan
        os.makedirs(run_dir, exist_ok=True)
        log_clients_to(os.path.join(run_dir, "librdkafka-clients.log"))
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise SuiteFailure(f"{self.binary} is not an executable: run `swift build` in {repo} first")
        self.has_kafka_control = "--control-port" in self._help("dev-kafka")
        self.has_sandbox_admin = "--admin-port" in self._help("sandbox")
        self.postgres_url = shared_server_url(repo)

    def _help(self, subcommand):
        # The binary may be mid-rebuild by a colleague: a failed start is retried for a while.
        deadline = time.monotonic() + 300
        while True:
            try:
                result = subprocess.run([self.binary, subcommand, "--help"], capture_output=True, text=True, timeout=60)
                if result.returncode == 0:
                    return result.stdout
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SuiteFailure(f"`{self.binary} {subcommand} --help` keeps failing")
            time.sleep(5)

    def size(self, short, long):
        """The short-mode or the --long figure."""
        return long if self.long else short

    def scenario_dir(self, name):
        path = os.path.join(self.run_dir, name)
        os.makedirs(path, exist_ok=True)
        return path
