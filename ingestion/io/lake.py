"""The data lake as the ingestion jobs see it: a local folder or an `s3://` prefix, reached through pyarrow.fs.

Spark reads and writes the data; this module lists raw drops, keeps job bookmarks and quality reports, and
publishes staged output so a failed run never leaves half-written tables visible.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from pyarrow import fs

PARTITION_DATE = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})")


class MissingInputError(FileNotFoundError):
    """The raw folder a job reads does not exist: a clear message instead of a Spark stack trace."""


@dataclass(frozen=True)
class RawFile:
    path: str  # lake-relative, e.g. raw/sales/year=2024/month=03/day=01/sales_20240301_ab12cd34.csv
    size: int

    @property
    def partition_date(self) -> dt.date | None:
        match = PARTITION_DATE.search(self.path)
        return dt.date(*map(int, match.groups())) if match else None


class Lake:
    def __init__(self, root: str):
        self.root = root.rstrip("/")
        if self.root.startswith("s3://"):
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            self.fs = fs.S3FileSystem(
                endpoint_override=endpoint, region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
            )
            self.base = self.root[len("s3://") :]
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
        if not self.exists(folder):
            raise MissingInputError(
                f"{self.uri(folder)} does not exist: no {folder.split('/')[-1]} drops have landed yet. "
                "Generate sample data with `supplychain generate` or point --lake-root at a lake."
            )
        selector = fs.FileSelector(self._full(folder), recursive=True)
        files = []
        for info in self.fs.get_file_info(selector):
            name = info.base_name
            if info.type != fs.FileType.File or name.startswith((".", "_")) or not name.endswith(suffixes):
                continue
            files.append(RawFile(info.path[len(self.base) + 1 :], info.size))
        return sorted(files, key=lambda f: f.path)

    def read_json(self, relative: str, default=None):
        if not self.exists(relative):
            return default
        with self.fs.open_input_stream(self._full(relative)) as stream:
            return json.loads(stream.read().decode())

    def write_json(self, relative: str, payload) -> None:
        """Write-then-rename locally; S3 puts are atomic per object already."""
        data = (json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n").encode()
        full = self._full(relative)
        self.fs.create_dir(full.rsplit("/", 1)[0], recursive=True)
        target = full + f".{uuid.uuid4().hex}.tmp" if self.is_local else full
        with self.fs.open_output_stream(target) as stream:
            stream.write(data)
        if self.is_local:
            self.fs.move(target, full)

    def staging_area(self, entity: str) -> str:
        return f"processed/_staging/{entity}-{uuid.uuid4().hex}"

    def publish(self, staged: str, target: str, partitions: list[str] | None) -> None:
        """Swap staged output into place: whole partitions (or the whole table) are replaced at once.

        A crash between partitions leaves a mix of old and new partitions, never a half-written one; the bookmark
        is only advanced after publishing, so the re-run converges to the same result.
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
                retired = destination.rstrip("/") + f".retired-{uuid.uuid4().hex}"
                self.fs.move(destination, retired)
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

    def delete_dir(self, relative: str) -> None:
        if self.exists(relative):
            self.fs.delete_dir(self._full(relative))
