from __future__ import annotations

import importlib.metadata

import pytest

from tests.examples.support import BUCKET, require_module, s3, unavailable


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    """moto's S3 server on 127.0.0.1 (a free port) with the checkpoint bucket, stopped at the end.

    moto must be 5.2.2 or newer. 5.2.1 answers CompleteMultipartUpload with a
    ``<CompleteMultipartUploadResponse>`` root element; AWS's API reference
    (API_CompleteMultipartUpload, "Response Syntax") names it ``<CompleteMultipartUploadResult>``,
    and the CRT client under s3torchconnector reads the object's ETag from exactly
    ``CompleteMultipartUploadResult/ETag`` (awslabs/aws-c-s3, source/s3_auto_ranged_put.c).
    Without it mountpoint-s3-client's PutObject finds no ETag header and fails every upload
    with ``Header "ETag" not found`` (getmoto/moto#10055, fixed by #10056 in 5.2.2)."""
    require_module("moto", "the tests emulate S3 with moto's server")
    from packaging.version import Version

    from tools.emulator import MotoServer

    installed = importlib.metadata.version("moto")
    if Version(installed) < Version("5.2.2"):
        unavailable(
            f"moto {installed} fails every multipart upload of the CRT client (see the moto fixture); "
            "requirements-dev.txt pins 5.2.2: run make install-dev"
        )
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        s3(server.url).create_bucket(Bucket=BUCKET)
        yield server
