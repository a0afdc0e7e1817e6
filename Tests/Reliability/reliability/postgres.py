"""PostgreSQL for the workers' idempotency store.

`ScratchDatabase`: a fresh `coupon_rel_<random>` database on the server of
$COUPON_TEST_POSTGRES_URL, dropped at the end. `PrivateCluster`: a cluster of the suite's
own, started with the project's .ci/postgres.sh, for the store-fault scenario, which stops
and starts its server -- the shared server of $COUPON_TEST_POSTGRES_URL serves other people's
tests at the same time and must not be restarted under them.
"""

import glob
import os
import secrets
import shutil
import subprocess
import urllib.parse

from .processes import SuiteFailure, free_port


def _server_url(url, database):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _psql(url, sql):
    result = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-tAc", sql], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise SuiteFailure(f"psql {sql!r}: {result.stderr.strip()}")
    return result.stdout.strip()


def shared_server_url(repo):
    """$COUPON_TEST_POSTGRES_URL, or the URL .ci/postgres.sh prints (it reuses a running cluster)."""
    url = os.environ.get("COUPON_TEST_POSTGRES_URL")
    if url:
        return url
    result = subprocess.run(["bash", ".ci/postgres.sh"], cwd=repo, capture_output=True, text=True, timeout=180)
    line = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if result.returncode != 0 or "COUPON_TEST_POSTGRES_URL=" not in line:
        raise SuiteFailure(f"no $COUPON_TEST_POSTGRES_URL and .ci/postgres.sh failed: {result.stderr.strip()[-500:]}")
    return line.split("=", 1)[1]


class ScratchDatabase:
    """A database of its own for one scenario, on a given server."""

    def __init__(self, server_url):
        self.name = "coupon_rel_" + secrets.token_hex(6)
        self.admin_url = _server_url(server_url, "postgres")
        _psql(self.admin_url, f"CREATE DATABASE {self.name}")
        self.url = _server_url(server_url, self.name)

    def drop(self):
        try:
            _psql(self.admin_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        except SuiteFailure:
            pass  # the server may be down after a failed store-fault run; the name is random


class PrivateCluster:
    """A throwaway PostgreSQL server the suite may stop and start (via .ci/postgres.sh and pg_ctl)."""

    def __init__(self, repo):
        # Directly under /tmp: the server runs as `postgres`, which must reach the directory.
        self.base_dir = os.path.join("/tmp", "coupon-rel-pg-" + secrets.token_hex(4))
        self.port = free_port()
        env = dict(os.environ, COUPON_PG_DIR=self.base_dir, COUPON_PG_PORT=str(self.port))
        result = subprocess.run(
            ["bash", ".ci/postgres.sh"], cwd=repo, env=env, capture_output=True, text=True, timeout=240
        )
        if result.returncode != 0:
            raise SuiteFailure(f".ci/postgres.sh for a private cluster failed: {result.stderr.strip()[-800:]}")
        self.url = result.stdout.strip().splitlines()[-1].split("=", 1)[1]
        with open(os.path.join(self.base_dir, "port")) as f:
            self.port = int(f.read().strip())
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise SuiteFailure("no /usr/lib/postgresql/*/bin/pg_ctl")
        self.pg_ctl = bins[-1]
        self.data_dir = os.path.join(self.base_dir, "data")

    def _pg_ctl(self, *args):
        argv = [self.pg_ctl, "-D", self.data_dir, *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise SuiteFailure(f"pg_ctl {' '.join(args)}: {result.stderr.strip()[-500:]}")

    def stop(self):
        """Stops the server now (fast mode: open connections are cut)."""
        self._pg_ctl("-m", "fast", "-w", "-t", "60", "stop")

    def start(self):
        """Starts the server again with the options .ci/postgres.sh uses."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base_dir}/sockets "
            "-c fsync=off -c max_connections=200"
        )
        self._pg_ctl("-l", os.path.join(self.base_dir, "postgres.log"), "-w", "-t", "60", "start", "-o", options)

    def destroy(self):
        try:
            self._pg_ctl("-m", "immediate", "-w", "-t", "30", "stop")
        except SuiteFailure:
            pass  # already stopped
        shutil.rmtree(self.base_dir, ignore_errors=True)
