"""ListObjectVersions with a key marker alone, made to answer as S3 does.

S3 begins such a listing with the first version of the first key after the marker. moto (5.2) begins it
inside the marker's own versions and leaves out the first version it reaches, so a reconcile that pages
through a bucket's versions by key would list some versions twice and miss others. This begins the listing
after the last version of the last key up to the marker, as S3 does. Reconcile's tests of the all-versions
series run against this.
"""

import itertools

from moto.core.utils import unix_time_millis
from moto.s3.models import S3Backend


def _last_version_up_to(backend: S3Backend, bucket_name: str, key_marker: str):
    """The (key, version id) of the last version, in moto's listing order, of a key up to `key_marker`."""
    bucket = backend.get_bucket(bucket_name)
    versions = list(itertools.chain(*(versions for _, versions in bucket.keys.iterlists())))
    # moto's own listing order: by key, newest first.
    versions.sort(key=lambda v: (v.name, -unix_time_millis(v.last_modified)))
    up_to = [v for v in versions if v.name <= key_marker]
    return (up_to[-1].name, up_to[-1].version_id) if up_to else (None, None)


def install() -> None:
    list_as_moto = S3Backend.list_object_versions

    def list_object_versions(self, bucket_name, delimiter=None, key_marker=None, max_keys=1000, prefix="", version_id_marker=None):
        if key_marker is not None and not version_id_marker:
            key_marker, version_id_marker = _last_version_up_to(self, bucket_name, key_marker)
        return list_as_moto(
            self,
            bucket_name,
            delimiter=delimiter,
            key_marker=key_marker,
            max_keys=max_keys,
            prefix=prefix,
            version_id_marker=version_id_marker,
        )

    S3Backend.list_object_versions = list_object_versions
