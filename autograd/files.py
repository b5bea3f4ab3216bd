"""Writing files safely: a temporary file, then a rename, so no reader ever sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` to `path` atomically (str is written as UTF-8); returns the path.

    An interrupted write leaves the old file (or none) in place and no temporary file behind.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # the permissions a plain open() would have given
        os.replace(temporary, path)  # atomic: readers see the old file or the new one
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path
