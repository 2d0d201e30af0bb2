"""Which files of a raw folder a run reads: recognised as drops, landed in full, and new by their content.

Recognition is by content, not by a lower-case suffix: any case of the source's extension, compressed with a codec
Spark decodes by suffix (.gz, .bz2), lands; a file whose bytes are compressed but whose name does not say so, and
anything else, is listed in the run's report with the reason it was not read.

Landing protocol: a file is read once its size and modification time have stayed the same for `settle_seconds`
(RunOptions; SUPPLYCHAIN_SETTLE_SECONDS, default 2 s). A file younger than that is watched until it is that old; if
it changed meanwhile it is still being written and waits for the next run (reported). On S3 an object is only
visible once its upload completed, so the check never holds a drop back there.

Identity: a drop is its content (an MD5 checksum, the ETag S3 gives a single-part upload), not its path and size.
The bookmark keeps each file's size, modification time and checksum; a file whose size or time changed is hashed
again, and read again only if its content changed: a rewrite in place is a new version of that drop, reported with
the checksum it replaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from foundation.lake import Lake, RawFile
from ingestion.sources import Source

# Codecs Spark's text reader (Hadoop's codec factory) and pyarrow both pick by the file's lower-case suffix.
CODECS = {".gz": b"\x1f\x8b", ".bz2": b"BZh"}
HASH_CHUNK = 8 << 20


def bookmark_path(entity: str) -> str:
    return f"processed/_bookmarks/{entity}.json"


@dataclass
class DropSelection:
    """What a run of one source reads, and what it saw and left, with the reason."""

    new: list[RawFile] = field(default_factory=list)  # in landing order: modification time, then path
    skipped: list[dict] = field(default_factory=list)  # {"file", "reason"}
    rewritten: list[dict] = field(default_factory=list)  # {"file", "checksum", "replaces"}
    entries: dict[str, dict] = field(default_factory=dict)  # bookmark entries to record once the run succeeds

    @property
    def landing_order(self) -> dict[str, int]:
        return {f.path: rank for rank, f in enumerate(self.new)}


def name_problem(name: str, source: Source) -> str | None:
    """Why a file name is not a drop of this source (None when it is one)."""
    if name.startswith((".", "_")):
        return "hidden or marker file (name starts with '.' or '_'): an upload in flight or a job marker"
    lower = name.lower()
    codec = next((c for c in CODECS if lower.endswith(c)), None)
    stem = lower[: -len(codec)] if codec else lower
    expected = "/".join(source.suffixes)
    if not stem.endswith(source.suffixes):
        return f"not a {source.format} drop: the name does not end in {expected} (optionally .gz or .bz2)"
    if codec and not name.endswith(codec):
        return f"compressed, but Spark only decodes a lower-case {codec} suffix: rename it to end in {codec}"
    return None


def glob_filter(source: Source) -> str:
    """A Hadoop glob (Spark's pathGlobFilter) for exactly the names `name_problem` accepts.

    For a reader that cannot call `name_problem` per file, such as the Structured Streaming file source: any case
    of the source's extensions, then nothing or a lower-case codec suffix (Spark decodes only those).
    """
    any_case = ",".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in s) for s in source.suffixes)
    return "*{" + any_case + "}{," + ",".join(CODECS) + "}"


def unread_names(files: list[RawFile], source: Source) -> list[dict]:
    """The files whose names are not drops of this source, with the reason (markers left out: expected company)."""
    return [
        {"file": raw.path, "reason": problem}
        for raw in files
        if (problem := name_problem(raw.name, source)) is not None and not raw.name.startswith("_")
    ]


def content_problem(name: str, head: bytes) -> str | None:
    """Why a file whose name is a drop's cannot be read as one: compressed bytes under an uncompressed name."""
    codec = next((c for c in CODECS if name.lower().endswith(c)), None)
    for suffix, magic in CODECS.items():
        if codec is None and head.startswith(magic):
            return f"content is {suffix[1:]}-compressed but the name does not end in {suffix}: rename it"
    return None


def select_drops(lake: Lake, source: Source, run_date: dt.date | None, full_refresh: bool, settle: float):
    """The drops this run reads (new or rewritten, landed in full, up to run_date) and what it leaves, with why."""
    selection = DropSelection()
    candidates = []
    for raw in lake.list_files(source.raw_folder):
        problem = name_problem(raw.name, source)
        if problem is None and run_date is not None and raw.partition_date and raw.partition_date > run_date:
            problem = f"landed after the run date {run_date}"
        if problem is None:
            candidates.append(raw)
        elif not raw.name.startswith("_"):  # markers (_SUCCESS, _manifest) are expected company, not news
            selection.skipped.append({"file": raw.path, "reason": problem})
    landed = settled(lake, candidates, settle, selection.skipped)
    seen = {} if full_refresh else lake.read_json(bookmark_path(source.entity), {"files": {}})["files"]
    unknown = [f for f in landed if not _unchanged(seen.get(f.path), f)]
    for raw, (checksum, head) in zip(unknown, _fingerprints(lake, unknown), strict=True):
        problem = content_problem(raw.name, head)
        if problem is not None:
            selection.skipped.append({"file": raw.path, "reason": problem})
            continue
        entry = {"size": raw.size, "modified": raw.modified, "md5": checksum}
        before = seen.get(raw.path)
        selection.entries[raw.path] = entry
        if isinstance(before, dict) and before.get("md5") == checksum:
            continue  # touched, not changed: recorded with its new time, not read again
        if isinstance(before, int) and before == raw.size and not full_refresh:
            continue  # an entry from before checksums: the same size is all it can say
        if before is not None:
            previous = before.get("md5") if isinstance(before, dict) else f"{before} bytes"
            selection.rewritten.append({"file": raw.path, "checksum": checksum, "replaces": previous})
        selection.new.append(raw)
    selection.new.sort(key=lambda f: (f.modified, f.path))
    selection.skipped.sort(key=lambda s: s["file"])
    return selection


def settled(lake: Lake, files: list[RawFile], settle: float, skipped: list[dict]) -> list[RawFile]:
    """The files whose size and modification time stayed the same for `settle` seconds (the landing protocol)."""
    young = [f for f in files if time.time() - f.modified < settle]
    if not young:
        return files
    # Never longer than `settle`: a clock ahead of this one (an NFS server, S3) must not hold the run.
    time.sleep(min(settle, max(0.0, settle - (time.time() - max(f.modified for f in young)))))
    changed = set()
    for before in young:
        now = lake.stat(before.path)
        if now is None or (now.size, now.modified) != (before.size, before.modified):
            changed.add(before.path)
            skipped.append(
                {"file": before.path, "reason": f"still being written: its size or time changed within {settle:g} s"}
            )
    return [f for f in files if f.path not in changed]


def _unchanged(entry, raw: RawFile) -> bool:
    """The bookmark says this very file was read: same size and time (its content is hashed only if either moved)."""
    return isinstance(entry, dict) and entry.get("size") == raw.size and entry.get("modified") == raw.modified


def _fingerprints(lake: Lake, files: list[RawFile]) -> list[tuple[str, bytes]]:
    """Each file's MD5 and first bytes, read in parallel threads (hashlib releases the GIL on large chunks)."""

    def fingerprint(raw: RawFile) -> tuple[str, bytes]:
        digest, head = hashlib.md5(usedforsecurity=False), b""
        with lake.fs.open_input_stream(f"{lake.base}/{raw.path}") as stream:
            while chunk := stream.read(HASH_CHUNK):
                head = head or chunk[:4]
                digest.update(chunk)
        return digest.hexdigest(), head

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(fingerprint, files))


def bookmark_entries(lake: Lake, files: list[RawFile]) -> dict[str, dict]:
    return {
        raw.path: {"size": raw.size, "modified": raw.modified, "md5": checksum}
        for raw, (checksum, _) in zip(files, _fingerprints(lake, files), strict=True)
    }


def save_bookmark(lake: Lake, entity: str, entries: dict[str, dict]) -> None:
    seen = lake.read_json(bookmark_path(entity), {"files": {}})["files"]
    seen.update(entries)
    lake.write_json(bookmark_path(entity), {"files": dict(sorted(seen.items()))})
