"""A bench's own warm engine: infra/spark_connect.sh on a free loopback port and a scratch state folder.

    with engine(scratch, memory="6g") as remote:
        spark = build_session(load_settings(), "citylake-bench-...")

It sets ``CITYLAKE_SPARK_REMOTE`` for the bench's process while it runs, and stops the server after.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT / "infra" / "spark_connect.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def engine(state: Path, memory: str = "3g", master: str = "local[2]", **environment: str):
    port = free_port()
    env = {
        **os.environ,
        "CITYLAKE_STATE": str(state),
        "CITYLAKE_SPARK_CONNECT_PORT": str(port),
        "CITYLAKE_SPARK_CONNECT_MEMORY": memory,
        "CITYLAKE_SPARK_MASTER": master,
        "PATH": f"{PROJECT / '.venv' / 'bin'}:{os.environ['PATH']}",
        **environment,
    }
    subprocess.run([str(SCRIPT), "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    saved = os.environ.get("CITYLAKE_SPARK_REMOTE")
    os.environ["CITYLAKE_SPARK_REMOTE"] = f"sc://127.0.0.1:{port}"
    try:
        yield os.environ["CITYLAKE_SPARK_REMOTE"]
    finally:
        if saved is None:
            os.environ.pop("CITYLAKE_SPARK_REMOTE", None)
        else:
            os.environ["CITYLAKE_SPARK_REMOTE"] = saved
        subprocess.run([str(SCRIPT), "stop"], env=env, check=False, stdout=subprocess.DEVNULL)


@contextmanager
def scratch_lake(name: str):
    """A throw-away lake, inbox and reports folder for one bench, pointed at by the process's settings;
    removed afterwards. Yields its folder."""
    scratch = Path(tempfile.mkdtemp(prefix=f"citylake-bench-{name}-"))
    os.environ.update(
        CITYLAKE_LAKE_ROOT=str(scratch / "lake"), CITYLAKE_INBOX_ROOT=str(scratch / "inbox"), CITYLAKE_REPORTS_ROOT=str(scratch / "reports"),
    )
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
