/**
 * moto's server with the EC2 rules the sandbox relies on and moto leaves out, run as `python3 -c`, so it works
 * from the sources and from dist/ alike.
 *
 * EC2 refuses to attach a volume that is already attached (VolumeInUse); moto would silently move the
 * attachment, so two runs could share one volume in the sandbox while on AWS the second would fail late.
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
main(sys.argv[1:])
`;
