"""Two gunicorn servers on one machine each keep their own control socket (``gunicornc``): with
gunicorn's default, one path per user, the second server took the first's over and removed it on
exit (found by ``make cluster``, which runs two).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.robustness.conftest import GunicornProcess


@pytest.mark.slow
def test_a_second_server_neither_takes_nor_removes_the_first_ones_control_socket(
    tmp_path: Path,
) -> None:
    # A short home: a Unix socket's path must fit in 107 bytes, and tmp_path under xdist may not.
    home = Path(tempfile.mkdtemp(prefix="hep-ctl-"))
    database_url = f"sqlite:///{tmp_path / 'control.db'}"
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": "", "WEB_CONCURRENCY": "1"}
    first = GunicornProcess(database_url, tmp_path / "first.log", **env)
    second = GunicornProcess(database_url, tmp_path / "second.log", **env)
    sockets = home / ".gunicorn"
    first.start()
    try:
        second.start()
        try:
            # gunicorn opens its control socket just after the first worker answers.
            deadline = time.monotonic() + 15
            while len(list(sockets.glob("*.ctl"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(list(sockets.glob("*.ctl"))) == 2
        finally:
            second.stop()
        left = list(sockets.glob("*.ctl"))
        assert [path.name for path in left] == [f"gunicorn-127.0.0.1_{first.port}.ctl"]
        assert left[0].is_socket()
    finally:
        first.stop()
        shutil.rmtree(home, ignore_errors=True)
