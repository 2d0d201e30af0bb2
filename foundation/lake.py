"""The data lake as the ingestion jobs see it: a local folder or an `s3://` prefix, reached through pyarrow.fs.

Spark reads and writes the data; this module lists raw drops, keeps job bookmarks and quality reports, and
publishes staged output so a failed run never leaves half-written tables visible.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from pyarrow import fs

PARTITION_DATE = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})")
# Underscore folders: Spark, the contract check and DuckDB views never read them as table data.
STAGING = "processed/_staging"
RETIRED = "processed/_retired"
ORIGIN = "origin"  # a retired folder's note of the table folder it left


class MissingInputError(FileNotFoundError):
    """The raw folder a job reads does not exist: a clear message instead of a Spark stack trace."""


@dataclass(frozen=True)
class RawFile:
    path: str  # lake-relative, e.g. raw/sales/year=2024/month=03/day=01/sales_20240301_ab12cd34.csv
    size: int
    modified: float = 0.0  # seconds since the epoch (an S3 object's Last-Modified): when it last changed

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def partition_date(self) -> dt.date | None:
        match = PARTITION_DATE.search(self.path)
        return dt.date(*map(int, match.groups())) if match else None


def s3_region(bucket: str, endpoint: str | None = None) -> str:
    """The region to reach `bucket` in: AWS_REGION (what Fargate, Glue and Lambda set), then AWS_DEFAULT_REGION,
    then where S3 says the bucket lives. A wrong region fails every request with a redirect, so us-east-1 is only
    the last resort: another endpoint (moto, MinIO) that no variable names."""
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return os.environ[variable]
    if endpoint:
        return "us-east-1"
    return fs.resolve_s3_region(bucket)


class Lake:
    def __init__(self, root: str):
        self.root = root.rstrip("/")
        if self.root.startswith("s3://"):
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            self.base = self.root[len("s3://") :]
            self.fs = fs.S3FileSystem(endpoint_override=endpoint, region=s3_region(self.base.split("/")[0], endpoint))
            self.is_local = False
        else:
            self.root = str(Path(self.root).resolve())
            self.fs = fs.LocalFileSystem()
            self.base = self.root
            self.is_local = True

    def uri(self, relative: str) -> str:
        """What Spark should be given for a lake-relative path."""
        return f"file://{self.base}/{relative}" if self.is_local else f"s3://{self.base}/{relative}"

    def relative(self, spark_path: str) -> str:
        """The lake-relative form of a path Spark reports in `_metadata.file_path`."""
        for prefix in (f"file://{self.base}/", f"file:{self.base}/", f"s3://{self.base}/", f"{self.base}/"):
            if spark_path.startswith(prefix):
                return spark_path[len(prefix) :]
        return spark_path

    def _full(self, relative: str) -> str:
        return f"{self.base}/{relative}"

    def exists(self, relative: str) -> bool:
        return self.fs.get_file_info(self._full(relative)).type != fs.FileType.NotFound

    def list_raw(self, folder: str, suffixes: tuple[str, ...]) -> list[RawFile]:
        """Every drop under `folder`, skipping hidden and in-flight files, in path order."""
        return [f for f in self.list_files(folder) if not f.name.startswith((".", "_")) and f.name.endswith(suffixes)]

    def list_files(self, folder: str) -> list[RawFile]:
        """Every file under `folder` whatever its name, with its size and modification time, in path order."""
        if not self.exists(folder):
            raise MissingInputError(
                f"{self.uri(folder)} does not exist: no {folder.split('/')[-1]} drops have landed yet. "
                "Generate sample data with `supplychain generate` or point --lake-root at a lake."
            )
        selector = fs.FileSelector(self._full(folder), recursive=True)
        files = [
            RawFile(info.path[len(self.base) + 1 :], info.size, info.mtime.timestamp() if info.mtime else 0.0)
            for info in self.fs.get_file_info(selector)
            if info.type == fs.FileType.File
        ]
        return sorted(files, key=lambda f: f.path)

    def stat(self, relative: str) -> RawFile | None:
        """One file's size and modification time now (None once it is gone)."""
        info = self.fs.get_file_info(self._full(relative))
        if info.type != fs.FileType.File:
            return None
        return RawFile(relative, info.size, info.mtime.timestamp() if info.mtime else 0.0)

    def partitions(self, table: str, column: str) -> set[str]:
        """The values of `column` a partitioned table holds now: its `<column>=<value>` folders (none if absent)."""
        selector = fs.FileSelector(self._full(table), allow_not_found=True)
        prefix = f"{column}="
        return {
            info.base_name[len(prefix) :]
            for info in self.fs.get_file_info(selector)
            if info.type == fs.FileType.Directory and info.base_name.startswith(prefix)
        }

    def read_json(self, relative: str, default=None):
        if not self.exists(relative):
            return default
        with self.fs.open_input_stream(self._full(relative)) as stream:
            return json.loads(stream.read().decode())

    def write_json(self, relative: str, payload) -> None:
        """Write-then-rename locally; S3 puts are atomic per object already."""
        self.write_bytes(relative, (json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n").encode())

    def read_bytes(self, relative: str) -> bytes:
        with self.fs.open_input_stream(self._full(relative)) as stream:
            return stream.read()

    def write_bytes(self, relative: str, data: bytes) -> None:
        """Write-then-rename locally; S3 puts are atomic per object already."""
        full = self._full(relative)
        self.fs.create_dir(full.rsplit("/", 1)[0], recursive=True)
        target = full + f".{uuid.uuid4().hex}.tmp" if self.is_local else full
        with self.fs.open_output_stream(target) as stream:
            stream.write(data)
        if self.is_local:
            self.fs.move(target, full)

    def staging_area(self, entity: str) -> str:
        """A new staging folder for one table's output. On S3, where no lake lock runs `recover()`, the folders a
        killed run of the same table left behind go first: a table has one writer, its job runs once at a time
        (one concurrent run per Glue job, one execution at a time), so none of them belongs to a live run."""
        if not self.is_local:
            self._delete_staging_of(entity)
        return f"{STAGING}/{entity}-{uuid.uuid4().hex}"

    def _delete_staging_of(self, entity: str) -> None:
        left = re.compile(rf"{re.escape(entity)}-[0-9a-f]{{32}}")
        selector = fs.FileSelector(self._full(STAGING), allow_not_found=True)
        for info in self.fs.get_file_info(selector):
            if info.type == fs.FileType.Directory and left.fullmatch(info.base_name):
                self.fs.delete_dir(info.path)

    def publish(self, staged: str, target: str, partitions: list[str] | None) -> None:
        """Swap staged output into place: whole partitions (or the whole table) are replaced at once.

        A crash between partitions leaves a mix of old and new partitions, never a half-written one; the bookmark
        is only advanced after publishing, so the re-run converges to the same result. A crash inside one swap is
        repaired by `recover()`, which the lake lock runs before the next run reads or publishes anything.
        """
        units = [f"/{p}" for p in partitions] if partitions is not None else [""]
        for unit in units:
            source, destination = self._full(staged + unit), self._full(target + unit)
            if self.fs.get_file_info(source).type == fs.FileType.NotFound:
                continue
            self._replace_dir(source, destination)
        if self.exists(staged):
            self.fs.delete_dir(self._full(staged))

    def _replace_dir(self, source: str, destination: str) -> None:
        exists = self.fs.get_file_info(destination).type != fs.FileType.NotFound
        if self.is_local:
            if exists:
                # The old folder leaves the table for processed/_retired/ (where no reader looks), with a note of
                # where it came from, so a crash before the new folder moves in can put it back.
                retired = self._full(f"{RETIRED}/{uuid.uuid4().hex}")
                self.fs.create_dir(retired, recursive=True)
                self._write_local(f"{retired}/{ORIGIN}", destination.encode())
                self.fs.move(destination, f"{retired}/data")
                self.fs.move(source, destination)
                self.fs.delete_dir(retired)
            else:
                self.fs.create_dir(destination.rsplit("/", 1)[0], recursive=True)
                self.fs.move(source, destination)
            return
        # S3 has no rename: copy the new objects, then drop the old ones that the new set does not overwrite.
        new = {
            info.path[len(source) :]
            for info in self.fs.get_file_info(fs.FileSelector(source, recursive=True))
            if info.type == fs.FileType.File
        }
        old = set()
        if exists:
            old = {
                info.path[len(destination) :]
                for info in self.fs.get_file_info(fs.FileSelector(destination, recursive=True))
                if info.type == fs.FileType.File
            }
        for name in sorted(new):
            self.fs.copy_file(source + name, destination + name)
        for name in sorted(old - new):
            self.fs.delete_file(destination + name)

    def _write_local(self, full: str, data: bytes) -> None:
        staged = f"{full}.{uuid.uuid4().hex}.tmp"
        with self.fs.open_output_stream(staged) as stream:
            stream.write(data)
        self.fs.move(staged, full)

    def recover(self) -> list[str]:
        """Finish what a killed publish left half done; returns the folders it put back.

        A retired folder whose table folder is missing was moved out just before the crash: it goes back (the
        bookmark never moved, so the re-run publishes the batch again). One whose table folder is present was
        already replaced: it is deleted. Staged output of a dead run is deleted. Folders the old layout retired
        beside the table (`<partition>.retired-<id>`) are handled the same way. Callers hold the lake lock, so
        nothing here belongs to a live run.
        """
        if not self.is_local:
            return []
        restored = []
        retired_root = Path(self._full(RETIRED))
        for retired in sorted(retired_root.glob("*")) if retired_root.is_dir() else []:
            origin, data = retired / ORIGIN, retired / "data"
            if origin.is_file() and data.is_dir() and not Path(origin.read_text()).exists():
                Path(origin.read_text()).parent.mkdir(parents=True, exist_ok=True)
                os.replace(data, origin.read_text())
                restored.append(origin.read_text())
            shutil.rmtree(retired, ignore_errors=True)
        shutil.rmtree(retired_root, ignore_errors=True)
        processed = Path(self._full("processed"))
        for legacy in sorted(processed.glob("**/*.retired-*")) if processed.is_dir() else []:
            live = Path(str(legacy).split(".retired-")[0])
            if legacy.is_dir() and not live.exists():
                os.replace(legacy, live)
                restored.append(str(live))
            elif legacy.exists():
                shutil.rmtree(legacy, ignore_errors=True)
        shutil.rmtree(self._full(STAGING), ignore_errors=True)
        return restored

    def delete_dir(self, relative: str) -> None:
        if self.exists(relative):
            self.fs.delete_dir(self._full(relative))
