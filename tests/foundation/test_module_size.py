"""No module in ``server/`` passes ``MAX_MODULE_LINES``: one that grows is split along a seam."""

from __future__ import annotations

from pathlib import Path

import server
from server.layers import MAX_MODULE_LINES

SERVER = Path(server.__file__).parent


def test_no_server_module_is_over_the_line_limit() -> None:
    sizes = {
        path.relative_to(SERVER.parent).as_posix(): len(
            path.read_text(encoding="utf-8").splitlines()
        )
        for path in sorted(SERVER.rglob("*.py"))
    }
    over = [f"{name}: {lines} lines" for name, lines in sizes.items() if lines > MAX_MODULE_LINES]
    assert over == [], f"over {MAX_MODULE_LINES} lines:\n" + "\n".join(over)
