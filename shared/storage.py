"""The object-store client: one bucket in MinIO (or any S3 API), reached with the MinIO SDK.

Every failure surfaces as one of the project's errors naming the object:
:class:`ObjectNotFound`, :class:`StorageUnavailable` (cannot connect) or
:class:`StorageError` (anything else the server refused).
"""

from __future__ import annotations

import io
import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator
from urllib.parse import urlparse

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from shared.errors import ObjectNotFound, StorageError, StorageUnavailable

log = logging.getLogger(__name__)

_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NoSuchBucket"}


@contextmanager
def _s3_errors(bucket: str, key: str, action: str) -> Iterator[None]:
    """Translate SDK and transport errors into the project's errors, naming the object."""
    where = f"s3://{bucket}/{key}" if key else f"s3://{bucket}"
    try:
        yield
    except S3Error as exc:
        if exc.code in _NOT_FOUND:
            raise ObjectNotFound(f"{where} does not exist", details={"object": where}) from exc
        raise StorageError(f"could not {action} {where}: {exc.code}: {exc.message}", details={"object": where}) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise StorageUnavailable(
            f"could not {action} {where}: object store unreachable ({exc.__class__.__name__}: {exc})",
            details={"object": where},
        ) from exc
    except MinioException as exc:
        raise StorageError(f"could not {action} {where}: {exc}", details={"object": where}) from exc


class ObjectStore:
    """Bytes, JSON and files in one bucket; keys are paths like ``models/<version>/model.json``."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str = "us-east-1",
        *,
        timeout: float = 10.0,
        retries: int = 2,
    ) -> None:
        url = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
        self.endpoint = f"{url.scheme}://{url.netloc}"
        self.bucket = bucket
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=max(timeout, 60.0)),
            maxsize=16,
            retries=urllib3.Retry(total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        self.client = Minio(
            url.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=url.scheme == "https",
            region=region,
            http_client=http,
        )

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> "ObjectStore":
        return cls(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            settings.s3_region,
            **kwargs,
        )

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    # -- bucket --------------------------------------------------------------------------
    def ensure_bucket(self) -> None:
        with _s3_errors(self.bucket, "", "create bucket"):
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
                log.info("created bucket", extra={"bucket": self.bucket})

    def ping(self) -> bool:
        """True when the bucket is reachable now; never raises."""
        try:
            with _s3_errors(self.bucket, "", "reach bucket"):
                return self.client.bucket_exists(self.bucket)
        except StorageError:
            return False

    # -- objects -------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        with _s3_errors(self.bucket, key, "write"):
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def get_bytes(self, key: str, length: int | None = None) -> bytes:
        """The object's bytes, or only its first ``length`` bytes."""
        with _s3_errors(self.bucket, key, "read"):
            response = self.client.get_object(self.bucket, key, length=length or 0)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def put_json(self, key: str, value: Any) -> bytes:
        """Write ``value`` as indented JSON; returns the bytes written (to hash them)."""
        data = json.dumps(value, indent=2, sort_keys=True, allow_nan=False).encode()
        self.put_bytes(key, data, "application/json")
        return data

    def get_json(self, key: str) -> Any:
        data = self.get_bytes(key)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise StorageError(f"{self.uri(key)} is not valid JSON: {exc}", details={"object": self.uri(key)}) from exc

    def put_stream(self, key: str, stream: BinaryIO, length: int, content_type: str = "application/octet-stream") -> None:
        """Write ``length`` bytes read from ``stream`` (a multipart upload: one part in memory at a time)."""
        with _s3_errors(self.bucket, key, "write"):
            self.client.put_object(self.bucket, key, stream, length, content_type=content_type)

    def upload_file(self, key: str, path: str | Path, content_type: str = "application/octet-stream") -> None:
        with _s3_errors(self.bucket, key, "upload"):
            self.client.fput_object(self.bucket, key, str(path), content_type=content_type)

    def download_file(self, key: str, path: str | Path) -> Path:
        with _s3_errors(self.bucket, key, "download"):
            self.client.fget_object(self.bucket, key, str(path))
        return Path(path)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        with _s3_errors(self.bucket, key, "stat"):
            return int(self.client.stat_object(self.bucket, key).size)

    def list(self, prefix: str) -> list[str]:
        """Every key below ``prefix`` (recursive), sorted."""
        with _s3_errors(self.bucket, prefix, "list"):
            return sorted(o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True))

    def list_with_sizes(self, prefix: str) -> dict[str, int]:
        with _s3_errors(self.bucket, prefix, "list"):
            objects = self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
            return {o.object_name: int(o.size) for o in objects}

    def list_children(self, prefix: str) -> list[str]:
        """Names of the immediate "folders" below ``prefix`` (``datasets/`` -> ids), sorted."""
        prefix = prefix.rstrip("/") + "/"
        with _s3_errors(self.bucket, prefix, "list"):
            names = [
                o.object_name[len(prefix):].rstrip("/")
                for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=False)
                if o.is_dir
            ]
        return sorted(names)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object below ``prefix``; for cleaning up a failed, unpublished write."""
        from minio.deleteobjects import DeleteObject

        keys = self.list(prefix)
        with _s3_errors(self.bucket, prefix, "delete"):
            errors = list(self.client.remove_objects(self.bucket, (DeleteObject(k) for k in keys)))
        if errors:
            raise StorageError(f"could not delete {len(errors)} object(s) under {self.uri(prefix)}: {errors[0]}")
        return len(keys)
