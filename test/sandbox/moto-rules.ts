/**
 * moto's server with the EC2 rules the sandbox relies on and moto leaves out, run as `python3 -c`, so it works
 * from the sources and from dist/ alike.
 *
 * EC2 refuses to attach a volume that is already attached (VolumeInUse); moto would silently move the
 * attachment, so two runs could share one volume in the sandbox while on AWS the second would fail late.
 *
 * EC2 makes CreateVolume and RunInstances idempotent by ClientToken: the SDK's retry of a request whose answer
 * was lost returns what the first one made. moto would make a second volume or instance, which nobody recorded.
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

from moto.core.responses import ActionResult
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.ec2.responses.instances import InstanceResponse

_made_by_token = {}

def idempotent(create, existing):
    def wrapper(self):
        token = self._get_param("ClientToken")
        key = (create.__name__, self.current_account, self.region, token)
        if token and key in _made_by_token:
            found = existing(self, _made_by_token[key])
            if found is not None:
                return ActionResult(found)
        result = create(self)
        if token:
            _made_by_token[key] = result.result
        return result
    return wrapper

def volume_still_there(self, volume):
    return volume if volume.id in self.ec2_backend.volumes else None

def reservation_still_there(self, reservation):
    return reservation if any(r.id == reservation.id for r in self.ec2_backend.reservations.values()) else None

ElasticBlockStore.create_volume = idempotent(ElasticBlockStore.create_volume, volume_still_there)
InstanceResponse.run_instances = idempotent(InstanceResponse.run_instances, reservation_still_there)

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
