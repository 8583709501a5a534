"""The register: every document docgen issues, kept in one SQLite file of the workspace.

A clinic must be able to say, years later, which version of which form a patient signed. Each
document gets a row — its id, kind, patient, visit, the quote it cites, template and price list
with their versions, language, checksums and signature, when and where it was written, and what
it replaced — in the same transaction as its file lands:

1. the row is inserted as *writing*, with the writer's process id, and committed;
2. the file is written (atomically: a temporary file renamed into place);
3. the row is marked *issued*, and the document it replaces *replaced by* it.

If the writer fails, its row is removed again. If it is killed between 1 and 3, the next
writer to open the register finishes its work: a row whose file is in place with the row's
checksum is issued, any other row of a dead writer is removed. So a file never lands without
its row, and no row stays without its file. SQLite's own locking (WAL, a busy timeout) lets
the desk and a batch write at once; ids are unique because the table's primary key says so.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from docgen.exceptions import DuplicateIdError, RegisterError
from docgen.output import csv_safe, move_to_superseded, signed_copy_path, superseded_path
from docgen.patient import same_typing, search_key
from docgen.processes import is_running
from docgen.render import CONTENT_CHECKSUM, PRICE_LIST, REPLACES, SIGNATURE, document_properties
from docgen.workspace import Workspace, default_workspace_root

REGISTER_FILE = "register.sqlite"
RECORDS_FOLDER = "records"
BUSY_SECONDS = 60  # how long a writer waits for another (a batch's commit is milliseconds)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    patient TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    reference TEXT NOT NULL,
    treatment TEXT NOT NULL,
    visit TEXT NOT NULL,
    quote TEXT NOT NULL,
    template TEXT NOT NULL,
    template_version TEXT NOT NULL,
    template_sha256 TEXT NOT NULL,
    price_list TEXT NOT NULL,
    price_list_version TEXT NOT NULL,
    price_list_sha256 TEXT NOT NULL,
    locale TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    written_at TEXT NOT NULL,
    host TEXT NOT NULL,
    path TEXT NOT NULL,
    replaces TEXT NOT NULL,
    replaced_by TEXT NOT NULL DEFAULT '',
    signed_at TEXT NOT NULL DEFAULT '',
    signed_copy TEXT NOT NULL DEFAULT '',
    pages INTEGER NOT NULL DEFAULT 0,
    signed_sha256 TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'writing',
    writer INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS documents_patient ON documents (patient);
CREATE INDEX IF NOT EXISTS documents_reference ON documents (reference);
CREATE INDEX IF NOT EXISTS documents_written ON documents (written_at);
"""

_ADDED_COLUMNS = {  # columns the first registers lacked: added when one of those is opened
    "signed_at": "TEXT NOT NULL DEFAULT ''",
    "signed_copy": "TEXT NOT NULL DEFAULT ''",
    "pages": "INTEGER NOT NULL DEFAULT 0",
    "signed_sha256": "TEXT NOT NULL DEFAULT ''",
}


@dataclass(frozen=True)
class Record:
    """One document docgen issued, as the register keeps it."""

    id: str
    kind: str  # consent, treatment_record, estimate or price_sheet
    patient: str
    date_of_birth: str
    reference: str
    treatment: str  # a consent form's treatment code
    visit: str  # the estimate number of the visit the document was given with
    quote: str  # the estimate a consent form cites
    template: str
    template_version: str
    template_sha256: str
    price_list: str  # the workbook's file name
    price_list_version: str  # the name and version the document prints
    price_list_sha256: str
    locale: str
    sha256: str  # of the file
    content_sha256: str  # the checksum the document carries (docgen verify)
    signature: str  # the clinic key's signature of it, if any
    written_at: str  # UTC, ISO 8601
    host: str
    path: str  # absolute, where it was written
    replaces: str  # the id of the document it was made again in place of
    replaced_by: str = ""
    signed_at: str = ""  # when its signed copy was filed (docgen file)
    signed_copy: str = ""  # where: the scan's pages, in order
    pages: int = 0  # of its PDF, each page with its code; 0 before a PDF is made (or counted)
    signed_sha256: str = ""  # of the signed copy as filed ("" if filed before docgen kept it)

    @property
    def written_on(self) -> dt.date:
        """The day it was written, the clinic's (this computer's), as records --since reads it."""
        written = dt.datetime.strptime(self.written_at, "%Y-%m-%dT%H:%M:%SZ")
        return written.replace(tzinfo=dt.UTC).astimezone().date()


COLUMNS = [field.name for field in fields(Record)]


@dataclass(frozen=True)
class Patient:
    """Who a document is for, as typed."""

    name: str = ""
    date_of_birth: str = ""
    reference: str = ""

    def is_patient_of(self, record: Record) -> bool:
        """Whether the record is this patient's: the same name, and the same date of birth and
        reference where both give one (a remake may add what the first left out)."""
        pairs = (
            (same_typing(self.name), same_typing(record.patient)),
            (self.date_of_birth, record.date_of_birth),
            (self.reference, record.reference),
        )
        return pairs[0][0] == pairs[0][1] and all(a == b for a, b in pairs[1:] if a and b)

    def leaves_out(self, record: Record) -> list[str]:
        """What the record gives of the patient that this leaves out: a replacement made out to
        less would leave the register unable to tell the two are one patient's."""
        given = (
            ("date of birth", self.date_of_birth, record.date_of_birth),
            ("reference", self.reference, record.reference),
        )
        return [label for label, own, recorded in given if recorded and not own]


def register_path(workspace: Workspace) -> Path:
    """records/register.sqlite of the workspace. The built-in workspace is part of the
    installed docgen, replaced on upgrade: its register lives in the user's data folder.
    DOCGEN_REGISTER names another file."""
    if named := os.environ.get("DOCGEN_REGISTER"):
        return Path(named).expanduser()
    if workspace.root == default_workspace_root().resolve():
        data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        return Path(data) / "docgen" / REGISTER_FILE
    return workspace.root / RECORDS_FOLDER / REGISTER_FILE


def record_of(
    data: bytes,
    path: Path,
    *,
    kind: str,
    template: str,
    template_sha256: str,
    price_list: Path,
    patient: Patient = Patient(),
    treatment: str = "",
    quote: str = "",
) -> Record:
    """The register's row for a document about to be written to path, read from the
    properties the document carries and what its writer knows."""
    properties = document_properties(data)
    return Record(
        id=properties["docgen.document-id"],
        kind=kind,
        patient=patient.name,
        date_of_birth=patient.date_of_birth,
        reference=patient.reference,
        treatment=treatment,
        visit=properties.get("docgen.visit", ""),
        quote=quote,
        template=template,
        template_version=properties.get("docgen.template-version", ""),
        template_sha256=template_sha256,
        price_list=price_list.name,
        price_list_version=properties.get(PRICE_LIST, ""),
        price_list_sha256=properties.get("docgen.price-list-sha256", ""),
        locale=properties.get("docgen.locale", ""),
        sha256=hashlib.sha256(data).hexdigest(),
        content_sha256=properties.get(CONTENT_CHECKSUM, ""),
        signature=properties.get(SIGNATURE, ""),
        written_at=_now(),
        host=socket.gethostname(),
        path=str(path.resolve()),
        replaces=properties.get(REPLACES, ""),
    )


class Register:
    """The register of one workspace. Each process (a batch's workers, the desk's) gets a
    connection of its own, shared by its threads one operation at a time."""

    _opened: ClassVar[dict[Path, Register]] = {}

    def __init__(self, path: Path):
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, workspace: Workspace) -> Register:
        """The workspace's register, one object per file in a process."""
        path = register_path(workspace)
        if path not in cls._opened:
            cls._opened[path] = cls(path)
        return cls._opened[path]

    @classmethod
    def existing(cls, workspace: Workspace) -> Register | None:
        """The workspace's register, if docgen ever issued a document from it."""
        path = register_path(workspace)
        return cls(path) if path.is_file() else None

    def status(self, document_id: str, sha256: str, path: Path | None = None) -> tuple[bool, str]:
        """(agrees, what the register says of a document with this id and file checksum, read
        at path: a copy is named as one, with where the register has the document)."""
        record = self.get(document_id)
        if record is None:
            return True, "not in this workspace's register"
        if record.sha256 != sha256:
            return False, (
                f"NOT the file the register recorded on {record.written_at} ({record.path})"
            )
        said = f"in the register since {record.written_at}"
        if path is not None and str(path.resolve()) != record.path:
            said += f"; a copy: the register has it at {record.path}"
        if record.replaced_by:
            replacement = self.get(record.replaced_by)
            when = f" on {replacement.written_at}" if replacement else ""
            said += f"; REPLACED by {record.replaced_by}{when}"
        return True, said

    def connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # a forked child: its own connection and lock
            self._lock, self._connection, self._pid = threading.Lock(), None, os.getpid()
        with self._lock:
            if self._connection is None:
                self._connection = self._connect()
        return self._connection

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            self.path.chmod(0o600)  # special-category health data: its owner only
            connection.create_function("search_key", 1, search_key, deterministic=True)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            present = {row[1] for row in connection.execute("PRAGMA table_info(documents)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    connection.execute(f"ALTER TABLE documents ADD COLUMN {column} {kind}")
            self._finish_dead_writers(connection)
        except (OSError, sqlite3.Error) as error:
            raise RegisterError(f"cannot open the register {self.path}: {error}") from None
        return connection

    def _finish_dead_writers(self, connection: sqlite3.Connection) -> None:
        """What a killed writer left: its row is issued if its file landed, else removed."""
        pending = connection.execute(
            "SELECT id, path, sha256, writer, replaces FROM documents "
            "WHERE state = 'writing' AND host = ?",
            (socket.gethostname(),),
        ).fetchall()
        for document_id, path, sha256, writer, replaces in pending:
            if is_running(writer):
                continue
            with _in_transaction(connection):
                if file_sha256(Path(path)) == sha256:
                    _issue(connection, document_id, replaces)
                else:
                    connection.execute("DELETE FROM documents WHERE id = ?", (document_id,))
                if replaces:
                    _find_superseded(connection, replaces)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write, this thread's alone in the process, the process's alone in the file."""
        connection = self.connection()
        try:
            with self._lock, _in_transaction(connection):
                yield connection
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as error:
            raise RegisterError(f"cannot write to the register {self.path}: {error}") from None

    def _read(self, sql: str, values: Sequence[object] = ()) -> list[tuple]:
        connection = self.connection()
        with self._lock:
            return connection.execute(sql, values).fetchall()

    @contextlib.contextmanager
    def issuing(self, record: Record) -> Iterator[None]:
        """Around writing the record's file: its row lands with it, or not at all."""
        if not self._insert(record):
            yield  # the same document made again (a reproducible one): registered already
            return
        try:
            yield
        except BaseException:
            with self._transaction() as connection:
                connection.execute(
                    "DELETE FROM documents WHERE id = ? AND state = 'writing'", (record.id,)
                )
            raise
        with self._transaction() as connection:
            _issue(connection, record.id, record.replaces)

    def _insert(self, record: Record) -> bool:
        """Add the record as being written; False when the register holds this very document
        already, at this very place. Any other document of its id is refused."""
        values = {**asdict(record), "writer": os.getpid()}
        try:
            with self._transaction() as connection:
                connection.execute(
                    f"INSERT INTO documents ({', '.join(values)}) "
                    f"VALUES ({', '.join('?' * len(values))})",
                    tuple(values.values()),
                )
        except sqlite3.IntegrityError:
            if why := self.refusal(record):
                raise DuplicateIdError(f"{record.id}: {why}") from None
            return False
        return True

    def in_force_at(self, path: Path) -> Record | None:
        """The document the register has in force at path (issued, not replaced), even when its
        file has gone: a document made there takes its place, never its row."""
        rows = self._read(
            f"SELECT {', '.join(COLUMNS)} FROM documents WHERE path = ? AND state = 'issued' "
            "AND replaced_by = '' ORDER BY written_at DESC, id LIMIT 1",
            (str(path.resolve()),),
        )
        return Record(*rows[0]) if rows else None

    def citing(self, estimate_id: str) -> list[Record]:
        """The documents in force (consent forms, treatment records) that cite an estimate."""
        rows = self._read(
            f"SELECT {', '.join(COLUMNS)} FROM documents WHERE quote = ? AND state = 'issued' "
            "AND replaced_by = '' ORDER BY id",
            (estimate_id,),
        )
        return [Record(*row) for row in rows]

    def refusal(self, record: Record) -> str | None:
        """Why the register cannot take the record (checked for a set of documents before any of
        them is written), or None. An id is never given twice, and a document made again with
        --date has the id of the first: made somewhere else, it would share that one's row, and
        replacing it there would mark the first replaced although it stands where it was."""
        issued = self.get(record.id)
        if issued is None:
            return None
        if issued.content_sha256 != record.content_sha256:
            return (
                "the register already holds another document of this id: an id is never given "
                "twice; make the document again for a new one"
            )
        if issued.path != record.path:
            return (
                f"this document was issued already, at {issued.path}: a document is issued in "
                "one place; copy that file, or leave out --date for a new document"
            )
        return None

    def replaced(self, document_ids: Sequence[str], by: str) -> None:
        """Documents no longer current although nothing was made in their place (a treatment
        dropped from a visit): replaced by the document that says what holds now (the visit's
        new estimate)."""
        with self._transaction() as connection:
            connection.executemany(
                "UPDATE documents SET replaced_by = ? WHERE id = ?", [(by, i) for i in document_ids]
            )

    def moved(self, document_id: str, path: Path) -> None:
        """A document moved, whole and unchanged, to where it is kept (the desk makes a
        request's documents in a folder of their own, then puts them in place; a version
        made again goes to superseded/)."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE documents SET path = ? WHERE id = ?", (str(path.resolve()), document_id)
            )

    def supersede(self, path: Path, document_id: str, within: Path | None = None) -> None:
        """Keep the document at path, about to be made again, in superseded/ with its PDF and
        its signed copy (move_to_superseded), its row following each file as it moves: the
        register says where the document and its signed copy are, so that a scan of it is
        filed beside it there, never beside the version made in its place. Every writer that
        makes a document again calls this (generate's --force, a batch's). Only the row of the
        document at path moves: never that of a document it is a copy of, kept elsewhere."""
        issued = self.get(document_id)
        ours = issued is None or issued.path == str(path.resolve())
        if ours and not path.exists():  # deleted: its row follows it, so nothing is filed here
            self.moved(document_id, superseded_path(path, document_id))
        for moved_from, moved_to in move_to_superseded(path, document_id, within):
            if ours and moved_from == path:
                self.moved(document_id, moved_to)
            with self._transaction() as connection:  # whichever row's signed copy it is
                connection.execute(
                    "UPDATE documents SET signed_copy = ? WHERE signed_copy = ?",
                    (str(moved_to.resolve()), str(moved_from.resolve())),
                )

    def signed(self, document_id: str, copy: Path) -> None:
        """The document's signed copy was filed at copy."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE documents SET signed_at = ?, signed_copy = ?, signed_sha256 = ? "
                "WHERE id = ?",
                (_now(), str(copy.resolve()), file_sha256(copy), document_id),
            )

    def record_pages(self, document_id: str, pages: int) -> None:
        """The document's PDF was made with this many pages: a scan of it must have as many."""
        with self._transaction() as connection:
            connection.execute("UPDATE documents SET pages = ? WHERE id = ?", (pages, document_id))

    def withdraw(self, document_ids: Sequence[str]) -> None:
        """Remove the rows of documents removed again before anyone had them: the first of a
        set whose later document failed (all or nothing)."""
        with self._transaction() as connection:
            connection.executemany(
                "DELETE FROM documents WHERE id = ?", [(i,) for i in document_ids]
            )

    def get(self, document_id: str) -> Record | None:
        rows = self._read(
            f"SELECT {', '.join(COLUMNS)} FROM documents WHERE id = ? AND state = 'issued'",
            (document_id,),
        )
        return Record(*rows[0]) if rows else None

    def find(
        self,
        *,
        patient: str = "",
        reference: str = "",
        kind: str = "",
        template_version: str = "",
        price_list_version: str = "",
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[Record]:
        """The issued documents that match every filter given, oldest first. patient matches
        any part of the name, case-insensitively; the others match exactly."""
        conditions, values = ["state = 'issued'"], []
        if patient:
            conditions.append("instr(search_key(patient), ?) > 0")
            values.append(search_key(patient))
        for column, value in (
            ("reference", reference),
            ("kind", kind),
            ("template_version", template_version),
            ("price_list_version", price_list_version),
        ):
            if value:
                conditions.append(f"{column} = ?")
                values.append(value)
        if since:
            conditions.append("written_at >= ?")
            values.append(_local_midnight(since))
        if until:
            conditions.append("written_at < ?")
            values.append(_local_midnight(until + dt.timedelta(days=1)))
        rows = self._read(
            f"SELECT {', '.join(COLUMNS)} FROM documents WHERE {' AND '.join(conditions)} "
            "ORDER BY written_at, id",
            values,
        )
        return [Record(*row) for row in rows]

    def patients_by_folder(self, parent: Path) -> dict[str, set[Patient]]:
        """Each folder of parent that the register holds documents in (in it or deeper), with
        the patients they are for, whatever their state: whose a folder is, whatever a
        manifest says. One pass over the register, however many folders."""
        prefix = str(parent.resolve()) + os.sep
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._read(
            "SELECT path, patient, date_of_birth, reference FROM documents "
            "WHERE path LIKE ? ESCAPE '\\'",
            [escaped + "%"],
        )
        folders: dict[str, set[Patient]] = {}
        for path, *patient in rows:
            if path.startswith(prefix) and os.sep in path[len(prefix) :]:  # LIKE ignores case
                folder = path[len(prefix) :].split(os.sep, 1)[0]
                folders.setdefault(folder, set()).add(Patient(*patient))
        return folders


def find_records(workspace: Workspace, **filters: Any) -> list[Record]:
    """The documents issued from the workspace that match filters (see Register.find)."""
    register = Register.existing(workspace)
    return register.find(**filters) if register else []


def records_csv(records: Sequence[Record]) -> str:
    """The records as CSV, every column, each cell safe to open in a spreadsheet."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)  # line breaks stay
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([csv_safe(getattr(record, column)) for column in COLUMNS])
    return text.getvalue()


def _issue(connection: sqlite3.Connection, document_id: str, replaces: str) -> None:
    connection.execute("UPDATE documents SET state = 'issued' WHERE id = ?", (document_id,))
    if replaces:
        connection.execute(
            "UPDATE documents SET replaced_by = ? WHERE id = ?", (document_id, replaces)
        )


def _find_superseded(connection: sqlite3.Connection, document_id: str) -> None:
    """The row of a document that a writer killed while moving it to superseded/ (Register.
    supersede) left pointing where it was: where it and its signed copy are now."""
    row = connection.execute(
        "SELECT path, signed_copy FROM documents WHERE id = ?", (document_id,)
    ).fetchone()
    if row is None:
        return
    path, signed_copy = Path(row[0]), row[1]
    kept = superseded_path(path, document_id)
    if not path.exists() and kept.is_file():
        path = kept
        connection.execute("UPDATE documents SET path = ? WHERE id = ?", (str(kept), document_id))
    signed_there = signed_copy_path(path)
    if signed_copy and not Path(signed_copy).exists() and signed_there.is_file():
        connection.execute(
            "UPDATE documents SET signed_copy = ? WHERE id = ?", (str(signed_there), document_id)
        )


@contextlib.contextmanager
def _in_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _local_midnight(day: dt.date) -> str:
    """The start of a day of this computer's (the clinic's), as the register's UTC times read."""
    start = dt.datetime.combine(day, dt.time()).astimezone(dt.UTC)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in chunks (a batch's zip may be large); "" if it cannot be
    read (or is not a file)."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""
