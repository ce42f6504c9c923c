"""Faults, each against a real server process (issue #9, point 4).

A kill in the middle of writes from two clients, a store that cannot be written where it is
asked for, a full disk, and a data file cut short. Each server here has a store of its own and
a copy of the shipped data, so what one test breaks no other test sees.

A full disk is made with RLIMIT_FSIZE, set on the running server from outside (``prlimit``):
a write past the limit fails with EFBIG as a write to a full disk fails with ENOSPC, in RocksDB
and in Python alike, without root or a mount. Python ignores SIGXFSZ, so the server lives on.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import SHIPPED_DATA, WRITE_TOKEN, LiveServer, make_home, serve_command, start_server

SCHEMA = "https://schema.org/"
ORG = "https://w3id.org/libassoc/org/fault-"
REPLACED = "https://w3id.org/libassoc/graph/fault-replaced"  # PUT: each write replaces it
POSTED = "https://w3id.org/libassoc/graph/fault-posted"  # POST: each write adds an entity
UPDATED = "https://w3id.org/libassoc/graph/fault-updated"  # SPARQL Update: INSERT DATA
AUTH = {"authorization": f"Bearer {WRITE_TOKEN}"}
TURTLE = {"content-type": "text/turtle", **AUTH}
# A PUT replaces an entity of this many alternate names: its change takes long enough to be
# stopped half made, more than a thousand quads removed one by one.
MANY_NAMES = 600
FAILED_START_SECONDS = 120


# --- a server on a store of its own ------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A home, a copy of the data and a store path: what a server is started on, again and again."""

    home: Path
    data: tuple[Path, ...]
    store: Path

    @classmethod
    def make(cls, folder: Path) -> Site:
        home = make_home(folder)
        data = tuple(home / "sources" / path.name for path in SHIPPED_DATA)
        for source, copy in zip(SHIPPED_DATA, data, strict=True):
            shutil.copytree(source, copy)
        return cls(home, data, home / "var" / "store")

    def copy(self, folder: Path) -> Site:
        """A site in ``folder`` with the same data and a copy of this one's store, as it is."""
        home = make_home(folder)
        data = tuple(home / "sources" / path.name for path in self.data)
        for source, copy in zip(self.data, data, strict=True):
            shutil.copytree(source, copy)
        copied = Site(home, data, home / "var" / "store")
        shutil.copytree(self.store, copied.store)
        for suffix in (".fingerprint", ".conforms"):
            shutil.copy2(self.sibling(suffix), copied.sibling(suffix))
        return copied

    def options(self) -> list[str]:
        return ["--allow-updates", "--store", str(self.store)]

    def start(self) -> LiveServer:
        return start_server(
            self.home, self.options(), data=self.data, env={"LIBASSOC_WRITE_TOKEN": WRITE_TOKEN}
        )

    def fail_to_start(
        self, store: Path | None = None, preexec_fn: Callable[[], None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``serve`` where it must refuse to start, and return how it ended."""
        options = ["--store", str(store or self.store)]
        environment = {**os.environ, "LIBASSOC_HOME": str(self.home)}
        result = subprocess.run(
            serve_command(0, options, self.data),
            capture_output=True,
            text=True,
            env=environment,
            timeout=FAILED_START_SECONDS,
            check=False,
            preexec_fn=preexec_fn,
        )
        assert result.returncode != 0, f"the server started:\n{result.stderr}"
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result

    def sibling(self, suffix: str) -> Path:
        return self.store.with_name(self.store.name + suffix)


def started_from_the_same_store(server: LiveServer, site: Site) -> bool:
    """Whether the server reused its store as it was, with no rebuild."""
    output = server.output()
    return f"Opening the store at {site.store}, built from the same data files." in output


# --- writes, and what the store holds of them --------------------------------------------------


def entity(key: str) -> str:
    return ORG + key


@dataclass
class Write:
    """One write of one entity: how, where, and the status it got (None: no answer, the server
    died). The entity is an organization as the shapes want it, with a name and ``names``
    alternate names: all of its triples must be in the store, or none."""

    method: str
    graph: str
    key: str
    status: int | None = None
    names: int = 1

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def triples(self) -> int:
        return 2 + self.names

    def turtle(self) -> str:
        alternates = ", ".join(f'"FT {self.key} {n}"@en' for n in range(self.names))
        return (
            f"<{entity(self.key)}> a <{SCHEMA}Organization> ; "
            f'<{SCHEMA}name> "Fault test {self.key}"@en ; <{SCHEMA}alternateName> {alternates} .\n'
        )


def keep(client: httpx.Client, write: Write) -> None:
    """Send ``write``, which the server must acknowledge."""
    write.status = send(client, write).status_code
    assert write.acknowledged, write


def send(client: httpx.Client, write: Write) -> httpx.Response:
    if write.method == "UPDATE":
        update = f"INSERT DATA {{ GRAPH <{write.graph}> {{ {write.turtle()} }} }}"
        return client.post("/update", data={"update": update}, headers=AUTH)
    return client.request(
        write.method,
        "/store",
        params={"graph": write.graph},
        content=write.turtle().encode(),
        headers=TURTLE,
    )


# graph (None: the default graph), subject, predicate, object
Quad = tuple[str | None, str, str, str]


def fault_quads(client: httpx.Client) -> set[Quad]:
    """Every triple about a test entity, in each named graph and in the default graph."""
    query = (
        "SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?s), "{ORG}")) }}'
    )
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    return {
        (
            row["g"]["value"] if "g" in row else None,
            row["s"]["value"],
            row["p"]["value"],
            row["o"]["value"],
        )
        for row in response.json()["results"]["bindings"]
    }


def check_whole(client: httpx.Client, writes: list[Write]) -> None:
    """Every acknowledged write is there, none is half there, and the merge follows the graphs."""
    quads = fault_quads(client)
    named = [(g, s, p, o) for g, s, p, o in quads if g is not None]
    default = {q[1:] for q in quads if q[0] is None}
    assert default == {q[1:] for q in named}, "the default graph is not the merge of the graphs"
    held: dict[tuple[str, str], int] = {}
    for graph, subject, _, _ in named:
        held[graph, subject] = held.get((graph, subject), 0) + 1
    whole = {(w.graph, entity(w.key)): w.triples for w in writes}
    assert set(held) <= set(whole), f"triples of entities no write sent: {set(held) - set(whole)}"
    half = {key: (count, whole[key]) for key, count in held.items() if count != whole[key]}
    assert not half, f"half there (triples held, written): {half}"
    for write in writes:
        if write.acknowledged and write.method != "PUT":
            assert (write.graph, entity(write.key)) in held, f"lost: {write}"
    # Each PUT replaces the graph: it holds one entity, from the last acknowledged PUT or after.
    puts = [w for w in writes if w.method == "PUT"]
    replaced = [subject for graph, subject in held if graph == REPLACED]
    acknowledged = [i for i, w in enumerate(puts) if w.acknowledged]
    if acknowledged:
        assert len(replaced) == 1, f"{REPLACED} holds {replaced}"
        [holder] = [i for i, w in enumerate(puts) if entity(w.key) == replaced[0]]
        assert holder >= acknowledged[-1], f"{REPLACED} went back to {puts[holder]}"
    else:
        assert len(replaced) <= 1


def built_write() -> Write:
    """The write the ``built`` store took before any test copied it."""
    return Write("POST", POSTED, "built", 201)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A store a real server built, validated and took a write into, then stopped: each test
    starts from a copy of it, so that none pays for a first start of its own."""
    site = Site.make(tmp_path_factory.mktemp("built"))
    server = site.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            write = built_write()
            assert send(client, write).status_code == write.status
    finally:
        server.stop()
    return site


# --- 1. SIGKILL in the middle of writes from two clients ---------------------------------------


@dataclass
class Writers:
    """Two clients writing as fast as they are answered until the server dies: one through the
    Graph Store Protocol (PUT and POST in turn), one through SPARQL Update."""

    url: str
    round: int
    writes: list[Write] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def acknowledged(self) -> int:
        return sum(w.acknowledged for w in self.writes)

    def _run(self, plan: Callable[[int], Write]) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            for number in range(10_000):
                write = plan(number)
                with self.lock:
                    self.writes.append(write)
                try:
                    status = send(client, write).status_code
                except httpx.TransportError:
                    return  # the server is gone: this write's fate is the store's to tell
                with self.lock:
                    write.status = status
                    self.lock.notify_all()
                if not write.acknowledged:
                    return

    def graph_store(self, number: int) -> Write:
        key = f"r{self.round}-gsp-{number}"
        if number % 2 == 0:
            return Write("PUT", REPLACED, key, names=MANY_NAMES)
        return Write("POST", POSTED, key)

    def update(self, number: int) -> Write:
        return Write("UPDATE", UPDATED, f"r{self.round}-update-{number}")

    @contextmanager
    def running(self) -> Iterator[None]:
        threads = [
            threading.Thread(target=self._run, args=(plan,), daemon=True)
            for plan in (self.graph_store, self.update)
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            for thread in threads:
                thread.join(timeout=90)

    def refused(self) -> list[Write]:
        return [w for w in self.writes if w.status is not None and not w.acknowledged]

    def wait_for(self, count: int, server: LiveServer) -> None:
        """Until ``count`` writes are acknowledged; fail if a write is refused instead."""
        with self.lock:
            done = self.lock.wait_for(
                lambda: self.acknowledged() >= count or bool(self.refused()), timeout=120
            )
            refused = self.refused()
        assert not refused, f"writes refused: {refused}\n{server.output()[-3000:]}"
        assert done, f"only {self.acknowledged()} writes acknowledged"


def _stat(process: int | Path) -> list[str]:
    """State, parent and the rest of /proc/PID/stat (or a task's), after the command's name;
    [] once it is gone."""
    folder = process if isinstance(process, Path) else Path(f"/proc/{process}")
    try:
        return (folder / "stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return []


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _stat(int(entry.name))[1:2] == [str(pid)]:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    return _stat(pid)[:1] not in ([], ["Z"])


# Where each round kills the server: between writes (after some were answered, with more in
# flight); while a write's journal is being written; with a write's change half made to the
# store. The last two are caught by stopping the server (SIGSTOP) when the journal's folder is
# seen, and looking at what it stands still in.
BETWEEN_WRITES, JOURNAL_BEING_WRITTEN, CHANGE_HALF_MADE = "", ".journal.pending", ".journal"
CATCH_WITHIN_WRITES = 40


def stop(pid: int) -> None:
    """SIGSTOP the process, and wait until each of its threads stands still."""
    os.kill(pid, signal.SIGSTOP)
    tasks = Path(f"/proc/{pid}/task")
    for _ in range(1_000_000):
        if all(_stat(task)[:1] in ([], ["T"], ["Z"]) for task in tasks.iterdir()):
            return
    raise AssertionError(f"process {pid} did not stop")


def wal_bytes(site: Site) -> int:
    return sum(p.stat().st_size for p in site.store.glob("*.log"))


def begun(pid: int, site: Site) -> bool:
    """With the server stopped as a journal appeared (or was being written): step it on until
    RocksDB's log grows under a journal that removes quads, that is until such a change is
    begun (True, still stopped), or until the journal goes (False, running again). One removal
    at a time, the change takes a while; each step is as short as signals can make it."""
    pending, journal = site.sibling(JOURNAL_BEING_WRITTEN), site.sibling(CHANGE_HALF_MADE)
    logged = wal_bytes(site)
    while pending.exists() or journal.exists():
        if journal.exists():
            if not (journal / "remove.nq").stat().st_size:
                break  # a change that only adds is made in one step: it cannot be half made
            if wal_bytes(site) > logged:
                return True
        os.kill(pid, signal.SIGCONT)
        stop(pid)
    os.kill(pid, signal.SIGCONT)
    return False


def made(site: Site) -> tuple[int, int]:
    """Of the quads the journal's change removes and adds, how many the store of a dead server
    has removed and added, and how many there are."""
    journal = site.sibling(CHANGE_HALF_MADE)
    remove, add = (
        list(ox.parse(path=journal / name, format=ox.RdfFormat.N_QUADS))
        for name in ("remove.nq", "add.nq")
    )
    view = ox.Store.read_only(str(site.store))
    return sum(q not in view for q in remove) + sum(q in view for q in add), len(remove + add)


def freeze(server: LiveServer, writers: Writers, site: Site, moment: str) -> None:
    """Stop the server at ``moment``; between writes, that is now, and it is left running."""
    pid = server.process.pid
    folder = site.sibling(moment)
    budget = writers.acknowledged() + CATCH_WITHIN_WRITES
    # A change is watched from its journal's first file on, not to miss its beginning.
    watched = site.sibling(JOURNAL_BEING_WRITTEN) if moment == CHANGE_HALF_MADE else folder
    while moment != BETWEEN_WRITES:
        if watched.exists() or folder.exists():
            stop(pid)
            if moment == CHANGE_HALF_MADE and begun(pid, site):
                break
            if moment == JOURNAL_BEING_WRITTEN and folder.exists():
                break
            os.kill(pid, signal.SIGCONT)
        assert not writers.refused(), writers.refused()
        assert writers.acknowledged() < budget, f"{moment} not caught in {CATCH_WITHIN_WRITES}"
        time.sleep(0.0002)


def entities_in(journal: Path) -> set[str]:
    """The entities a journal (or what was written of it) adds."""
    added = journal / "add.nq"
    text = added.read_text() if added.exists() else ""
    return set(re.findall(f"<({re.escape(ORG)}[^>]*)>", text))


HALF_MADE_ATTEMPTS = 4


def test_a_kill_in_the_middle_of_writes_loses_no_acknowledged_write(
    built: Site, tmp_path: Path
) -> None:
    site = built.copy(tmp_path)
    writes = [built_write()]
    finished: set[str] = set()  # what a journal killed whole adds: the next start finishes it
    dropped: set[str] = set()  # what a journal killed half written adds: never carried out
    moments = [BETWEEN_WRITES, JOURNAL_BEING_WRITTEN, CHANGE_HALF_MADE]
    half_made = 0
    for round_number in range(2 + HALF_MADE_ATTEMPTS):
        if not moments:
            break
        moment = moments.pop(0)
        server = site.start()
        assert started_from_the_same_store(server, site), server.output()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            check_whole(client, writes)
        workers = children(server.process.pid)
        writers = Writers(server.url, round_number)
        with writers.running():
            try:
                writers.wait_for(3, server)
                freeze(server, writers, site, moment)
            finally:
                server.process.send_signal(signal.SIGKILL)  # stopped or not
                server.process.wait()
        writes += writers.writes
        if moment == CHANGE_HALF_MADE:
            done, total = made(site)
            if 0 < done < total:
                half_made += 1
                finished |= entities_in(site.sibling(moment))
            else:
                moments.append(moment)  # the change was not begun yet, or made whole: again
        elif moment == JOURNAL_BEING_WRITTEN:
            dropped |= entities_in(site.sibling(moment))
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers), "a query worker outlived its server"
    assert half_made, f"no kill in {HALF_MADE_ATTEMPTS} caught a change half made"
    assert finished, "the half made change adds entities"
    # The killed servers' dumps are beside the store, not in a temporary folder nobody clears.
    left = site.sibling(".dumps") / "left-by-a-killed-server"
    left.write_text("")

    server = site.start()
    try:
        assert not left.exists(), "the start clears what a killed server left"
        assert started_from_the_same_store(server, site), server.output()
        assert "Traceback" not in server.output()
        assert not any(site.sibling(m).exists() for m in (JOURNAL_BEING_WRITTEN, CHANGE_HALF_MADE))
        with httpx.Client(base_url=server.url, timeout=60) as client:
            check_whole(client, writes)
            there = {s for _, s, _, _ in fault_quads(client)}
            assert finished <= there and not dropped & there, (finished, dropped)
            # The store takes writes again, through both protocols.
            after = [Write("PUT", REPLACED, "after-put"), Write("UPDATE", UPDATED, "after-update")]
            for write in after:
                keep(client, write)
            check_whole(client, writes + after)
    finally:
        server.stop()
    assert {w.method for w in writes if w.acknowledged} == {"PUT", "POST", "UPDATE"}


# --- 2. a store that cannot be written where it is asked for -----------------------------------

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def obey_file_modes() -> None:
    """Run in the child before it starts: root without the capabilities that let it ignore modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def modes_bind(read_only: Path) -> bool:
    """Whether a server started with ``obey_file_modes`` is refused a file in ``read_only``."""
    probe = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text('')"
    try:
        tried = subprocess.run(
            [sys.executable, "-c", probe, str(read_only / "probe")],
            capture_output=True,
            check=False,
            preexec_fn=obey_file_modes if os.geteuid() == 0 else None,
        )
    except subprocess.SubprocessError:
        return False  # the capabilities cannot be dropped here
    return tried.returncode != 0


def one_line_naming(result: subprocess.CompletedProcess[str], store: Path) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("error: cannot write the store at ") and str(store) in line, line
    return line


def test_a_store_under_a_file_stops_the_server_at_start(tmp_path: Path) -> None:
    site = Site.make(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be\n")
    store = blocker / "store"
    line = one_line_naming(site.fail_to_start(store), store)
    assert str(blocker) in line
    assert blocker.read_text() == "a file where the store's folder should be\n"


def test_a_store_in_a_read_only_folder_stops_the_server_at_start(
    built: Site, tmp_path: Path
) -> None:
    # A store from an earlier start: it would open, but nothing beside it (journal,
    # checkpoints) could be written, so without a check at start the server would fail later.
    site = built.copy(tmp_path)
    folder = site.store.parent
    folder.chmod(0o500)
    try:
        if not modes_bind(folder):
            pytest.skip("file modes do not bind here (root that cannot drop CAP_DAC_OVERRIDE)")
        preexec = obey_file_modes if os.geteuid() == 0 else None
        for store in (site.store, folder / "new-store"):
            result = site.fail_to_start(store, preexec_fn=preexec)
            assert "Permission denied" in one_line_naming(result, store)
        assert not (folder / "new-store").exists()
    finally:
        folder.chmod(0o700)


# --- 3. a full disk ----------------------------------------------------------------------------


@contextmanager
def file_size_limit(server: LiveServer, limit: int) -> Iterator[None]:
    """No file of the server's may grow past ``limit`` bytes: its disk is full, in effect."""
    pid = server.process.pid
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        yield
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)


# Above each file of a small entity's journal (under 1 kB) and below what RocksDB writes for
# the same change (a few kB, and its MANIFEST is larger already): the journal is written, then
# the store fails half way, so the write must be undone.
FULL_AT_BYTES = 2048


def test_a_full_disk_answers_503_and_loses_nothing(built: Site, tmp_path: Path) -> None:
    site = built.copy(tmp_path)
    before = [built_write()]
    earlier = [
        Write("PUT", REPLACED, "disk-put"),
        Write("POST", POSTED, "disk-post"),
        Write("UPDATE", UPDATED, "disk-update"),
    ]
    refused = [
        # It replaces an entity by one another graph states already: undone, it must take the
        # replaced one back and leave the other's triples in the merge.
        Write("PUT", REPLACED, "disk-post"),
        Write("UPDATE", UPDATED, "disk-full-update"),
    ]
    server = site.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for write in earlier:
                keep(client, write)
            with file_size_limit(server, FULL_AT_BYTES):
                for write in refused:
                    response = send(client, write)
                    write.status = response.status_code
                    assert response.status_code == 503, response.text
                    assert int(response.headers["retry-after"]) > 0
                    assert "File too large" in response.text, response.text
                    # The journal was written whole and the store failed after it: the change
                    # is marked to be undone, not finished.
                    assert site.sibling(".journal.undo").exists()
                # The readers keep the generation they had, whole.
                check_whole(client, before + earlier + refused)
                assert {s for _, s, _, _ in fault_quads(client)} == {
                    entity(w.key) for w in before + earlier
                }
            # Room again, no restart: the next write opens the store anew (RocksDB refuses
            # every write after a failed one until then), undoes the failed change, and is kept.
            live = Write("POST", POSTED, "disk-room-again")
            keep(client, live)
            assert not site.sibling(".journal.undo").exists()
            check_whole(client, [*before, *earlier, *refused, live])
            # Full again: refused again, and writable again once there is room.
            with file_size_limit(server, FULL_AT_BYTES):
                again = Write("UPDATE", UPDATED, "disk-full-again")
                again.status = send(client, again).status_code
                assert again.status == 503, again
            refused.append(again)
            after = Write("POST", POSTED, "disk-after")
            keep(client, after)
    finally:
        server.stop()
    earlier += [live, after]

    # Still no room: the next start stops at once, with one line.
    def disk_full() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_AT_BYTES, resource.RLIM_INFINITY))

    result = site.fail_to_start(preexec_fn=disk_full)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot write the store at {site.store}: "), result.stderr
    assert "File too large" in last

    # Room again; the store opens as it is, the failed change undone, and takes writes.
    server = site.start()
    try:
        assert started_from_the_same_store(server, site), server.output()
        assert not site.sibling(".journal.undo").exists()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            check_whole(client, before + earlier + refused)
            assert {s for _, s, _, _ in fault_quads(client)} == {
                entity(w.key) for w in before + earlier
            }
            later = Write("POST", POSTED, "disk-later")
            keep(client, later)
            check_whole(client, [*before, *earlier, *refused, later])
    finally:
        server.stop()


# --- 4. a data file cut short ------------------------------------------------------------------


def snapshot(site: Site) -> dict[str, tuple[int, int] | None]:
    """Size and modification time of every file of the store and beside it (None: missing)."""
    files = [p for p in site.store.rglob("*") if p.is_file()]
    files += [site.sibling(suffix) for suffix in (".fingerprint", ".conforms")]
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) if p.exists() else None for p in files}


def cut_in_a_statement(text: str) -> tuple[str, int]:
    """The text up to the middle of a line inside a statement, and that line's number."""
    lines = text.splitlines(keepends=True)
    number = next(
        n
        for n, line in enumerate(lines[20:], start=21)
        if line.startswith((" ", "\t")) and len(line.strip()) > 10
    )
    line = lines[number - 1]
    return "".join(lines[: number - 1]) + line[: len(line) // 2], number


def test_a_data_file_cut_short_is_named_and_the_store_stays_as_it_was(
    built: Site, tmp_path: Path
) -> None:
    site = built.copy(tmp_path)  # with a write since it was built: it must survive
    kept = built_write()
    before = snapshot(site)

    victim = sorted((site.data[1] / "seed").glob("*.ttl"))[0]
    good = victim.read_bytes()
    cut, line = cut_in_a_statement(good.decode())
    victim.write_text(cut)
    result = site.fail_to_start()
    assert f"error: {victim}:{line}: " in result.stderr, result.stderr
    assert snapshot(site) == before
    assert not site.sibling(".building").exists()

    victim.write_bytes(good)
    server = site.start()
    try:
        output = server.output()
        assert started_from_the_same_store(server, site), output
        assert "so was every write" in output, "the store's stamp went with the failed start"
        with httpx.Client(base_url=server.url, timeout=60) as client:
            check_whole(client, [kept])
            assert {s for _, s, _, _ in fault_quads(client)} == {entity(kept.key)}
    finally:
        server.stop()
