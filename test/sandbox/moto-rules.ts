/**
 * moto's server with the EC2 rules the sandbox relies on and moto leaves out, run as `python3 -c`, so it works
 * from the sources and from dist/ alike.
 *
 * EC2 refuses to attach a volume that is already attached (VolumeInUse); moto would silently move the
 * attachment, so two runs could share one volume in the sandbox while on AWS the second would fail late.
 *
 * S3 says when each incomplete multipart upload began (Initiated); moto answers one fixed date from 2010, so
 * code that tells a fresh upload from an old one could not be tried against it. The real time is recorded.
 */
export const MOTO_SERVER_SCRIPT = `
import sys
from moto.ec2.exceptions import VolumeInUseError
from moto.ec2.models.elastic_block_store import EBSBackend
from moto.server import main

_attach = EBSBackend.attach_volume

def attach_volume(self, volume_id, instance_id, device_path, delete_on_termination=False):
    current = getattr(self.get_volume(volume_id), "attachment", None)
    if current is not None:
        raise VolumeInUseError(volume_id, current.instance.id)
    return _attach(self, volume_id, instance_id, device_path, delete_on_termination)

EBSBackend.attach_volume = attach_volume

import datetime
from moto.s3.models import FakeMultipart
from moto.s3.responses import S3Response

_multipart_init = FakeMultipart.__init__

def multipart_init(self, *args, **kwargs):
    _multipart_init(self, *args, **kwargs)
    self.initiated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")

FakeMultipart.__init__ = multipart_init
_serialized = S3Response.serialized

def serialized(self, action_result):
    result = action_result.result
    if self.data.get("Action") == "ListMultipartUploads" and isinstance(result, dict):
        began = {u.id: getattr(u, "initiated", None) for u in self.backend.list_multipart_uploads(self.bucket_name).values()}
        for upload in result.get("Uploads", []):
            upload["Initiated"] = began.get(upload["UploadId"]) or upload["Initiated"]
    return _serialized(self, action_result)

S3Response.serialized = serialized
main(sys.argv[1:])
`;
