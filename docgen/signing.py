"""The clinic's signing key: what makes `docgen verify` proof that docgen made a document.

A document's content checksum is a plain SHA-256 that anyone can recompute after changing the
document. With a key, every document also carries a signature: an HMAC-SHA256 of that checksum
with a secret only the clinic holds, which no one without the key can recompute. The key is
created by `docgen init`, kept outside the workspace (never in its repository, never in a
document), in DOCGEN_KEY_FILE or the user's configuration folder.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import warnings
from pathlib import Path
from stat import S_ISLNK, S_ISREG

from docgen.exceptions import KeyExposedWarning, WorkspaceError

KEY_FILE_VARIABLE = "DOCGEN_KEY_FILE"
_KEY_BYTES = 32


def default_key_path() -> Path:
    """DOCGEN_KEY_FILE, else signing.key in docgen's folder of the user's configuration
    ($XDG_CONFIG_HOME, or ~/.config)."""
    if os.environ.get(KEY_FILE_VARIABLE):
        return Path(os.environ[KEY_FILE_VARIABLE]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "docgen" / "signing.key"


def create_key(path: Path | None = None) -> Path:
    """A new random key at path (default: default_key_path()), readable by its owner alone.
    An existing key is never replaced: the documents signed with it could no longer be
    verified."""
    path = path or default_key_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # written whole beside it, then linked into place: a key cut short by a full disk would
    # be there for good, as a key is never replaced
    written = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(_KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(written, path)
    except FileExistsError:
        raise WorkspaceError(
            f"{path} already exists: a signing key is never replaced, as the documents signed "
            "with it could no longer be verified"
        ) from None
    finally:
        written.unlink(missing_ok=True)
    return path


def read_key(path: Path | None = None) -> bytes | None:
    """The key at path (default: default_key_path()), or None when there is none. A key that
    others can read, or a link to one, is still used, with a KeyExposedWarning."""
    path = path or default_key_path()
    key = _checked_key(path)
    if key is not None and (exposure := key_exposure(path)):
        # shown once for each place that reads the key, not once per document of a batch
        warnings.warn(f"the signing key {path} {exposure}", KeyExposedWarning, stacklevel=2)
    return key


def key_problems(path: Path | None = None) -> list[str]:
    """What is wrong with the key at path (default: default_key_path()), as `docgen check`
    says it; none when there is no key."""
    path = path or default_key_path()
    try:
        _checked_key(path)
    except WorkspaceError as error:
        return [str(error)]
    exposure = key_exposure(path)
    return [f"the signing key {path} {exposure}"] if exposure else []


def _checked_key(path: Path) -> bytes | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise WorkspaceError(f"the signing key {path} cannot be read ({error})") from None
    if not S_ISREG(stat.st_mode):  # a FIFO would hang every reader
        raise WorkspaceError(f"the signing key {path} is not a file: a key is a file of its own")
    return _key_in(path, stat.st_mtime_ns, stat.st_size)


def key_exposure(path: Path | None = None) -> str | None:
    """How the key at path could be read or replaced by someone else, or None: a symbolic link
    (the file it points to may change, or be someone else's), or a file other users of this
    computer can read or write."""
    path = path or default_key_path()
    try:
        link = path.lstat()
    except OSError:
        return None
    if S_ISLNK(link.st_mode):
        return (
            f"is a symbolic link (to {os.readlink(path)}): keep the key itself there, readable "
            "by its owner alone"
        )
    if link.st_mode & 0o077:
        return (
            f"can be read by other users of this computer (mode {link.st_mode & 0o777:o}): "
            f"run chmod 600 {path}"
        )
    return None


@functools.lru_cache(maxsize=4)  # read once per process, not once per document of a batch
def _key_in(path: Path, _mtime_ns: int, _size: int) -> bytes:
    try:
        # not blocking: a file swapped for a FIFO since the check must not hang the reader
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, encoding="ascii") as handle:
            key = bytes.fromhex(handle.read(4 * _KEY_BYTES).strip())
    except (OSError, ValueError) as error:
        raise WorkspaceError(f"{path} is not a docgen signing key ({error})") from None
    if len(key) != _KEY_BYTES:
        raise WorkspaceError(
            f"{path} is not a docgen signing key: it holds {len(key)} bytes, not {_KEY_BYTES}"
        )
    return key


def key_id(key: bytes) -> str:
    """What names a key in the documents it signs, without revealing it."""
    return hashlib.sha256(b"docgen signing key\0" + key).hexdigest()[:16]


def signature(key: bytes, checksum: str) -> str:
    return hmac.new(key, checksum.encode("ascii"), hashlib.sha256).hexdigest()


def signature_matches(key: bytes, checksum: str, recorded: str) -> bool:
    """Whether recorded is the key's signature of checksum (any text: a document's property)."""
    return hmac.compare_digest(signature(key, checksum).encode(), recorded.encode("utf-8"))
