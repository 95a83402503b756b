import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
  type EC2Client,
  type Image,
  type Instance,
} from '@aws-sdk/client-ec2';
import { aws, awsError } from '../../aws/errors.js';
import { OffsiteError, UsageError } from '../../errors.js';
import type { InstanceOverrides } from '../ebs/plan.js';
import { runTags, tagSpec } from './tags.js';

export const DEFAULT_INSTANCE_TYPE = 't3.micro';
/** Amazon Linux 2023, newest, standard (not minimal) image: it ships rsync-capable tooling, sudo and the NVMe udev links. */
export const DEFAULT_IMAGE_NAME = 'al2023-ami-2023.*';

export interface ChosenImage {
  imageId: string;
  name: string;
  /** The login user the image's cloud-init creates. */
  defaultUser: string;
}

/** Graviton families (t4g, m7gd, c7gn…) need arm64 images. */
export function architectureOf(instanceType: string): 'arm64' | 'x86_64' {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+[a-z]*g/.test(family) ? 'arm64' : 'x86_64';
}

export function defaultUserFor(imageName: string): string {
  const name = imageName.toLowerCase();
  if (name.includes('ubuntu')) return 'ubuntu';
  if (name.includes('debian')) return 'admin';
  if (name.includes('fedora')) return 'fedora';
  if (name.includes('centos')) return 'centos';
  return 'ec2-user';
}

export async function chooseImage(ec2: EC2Client, overrides: InstanceOverrides, instanceType: string): Promise<ChosenImage> {
  if (overrides.imageId) {
    const found = await aws('looking up the image', () => ec2.send(new DescribeImagesCommand({ ImageIds: [overrides.imageId!] }))).catch(
      (error: OffsiteError) => {
        if (/InvalidAMIID/.test(error.message)) throw new UsageError('no such image in this region', { input: 'imageId', value: overrides.imageId });
        throw error;
      },
    );
    const image = found.Images?.[0];
    if (!image) throw new UsageError('no such image in this region', { input: 'imageId', value: overrides.imageId });
    return { imageId: overrides.imageId, name: image.Name ?? '', defaultUser: defaultUserFor(image.Name ?? '') };
  }
  const architecture = architectureOf(instanceType);
  const found = await aws('looking up the Amazon Linux image', () =>
    ec2.send(
      new DescribeImagesCommand({
        Owners: ['amazon'],
        Filters: [
          { Name: 'name', Values: [DEFAULT_IMAGE_NAME] },
          { Name: 'architecture', Values: [architecture] },
          { Name: 'state', Values: ['available'] },
        ],
      }),
    ),
  );
  const newest = (found.Images ?? [])
    .filter((image: Image) => !/minimal/.test(image.Name ?? ''))
    .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') || (b.Name ?? '').localeCompare(a.Name ?? ''))[0];
  if (!newest?.ImageId) throw new OffsiteError(`no Amazon Linux 2023 ${architecture} image found in this region`, undefined, { advice: { remedy: 'imageId' } });
  return { imageId: newest.ImageId, name: newest.Name ?? '', defaultUser: 'ec2-user' };
}

/** The AZ a subnet lives in, so a subnet override can be checked against the volume's AZ before launching. */
export async function subnetZone(ec2: EC2Client, subnetId: string): Promise<string> {
  const found = await aws('looking up the subnet', () => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).catch(
    (error: OffsiteError) => {
      if (/InvalidSubnetID/.test(error.message)) throw new UsageError('no such subnet in this region', { input: 'subnetId', value: subnetId });
      throw error;
    },
  );
  const zone = found.Subnets?.[0]?.AvailabilityZone;
  if (!zone) throw new UsageError('no such subnet in this region', { input: 'subnetId', value: subnetId });
  return zone;
}

/**
 * A user-data script that powers the instance off after `minutes`; with shutdown behaviour "terminate"
 * this bounds the cost of a client that crashed or lost its network.
 */
export function selfDestructUserData(minutes: number): string {
  const script = ['#!/bin/sh', `# offsite: terminate even if the client never comes back`, `shutdown -h +${Math.max(1, Math.round(minutes))}`, ''].join(
    '\n',
  );
  return Buffer.from(script).toString('base64');
}

export interface LaunchRequest {
  image: ChosenImage;
  instanceType: string;
  availabilityZone?: string;
  overrides: InstanceOverrides;
  runId: string;
  createdBy: string;
  selfDestructMinutes: number;
  clientToken: string;
}

export async function launchInstance(ec2: EC2Client, request: LaunchRequest, signal?: AbortSignal): Promise<Instance> {
  const { overrides } = request;
  const tags = runTags(request.runId, request.createdBy, 'instance');
  const rootTags = runTags(request.runId, request.createdBy, 'root-volume');
  const response = await aws('launching the instance', () =>
    ec2.send(
      new RunInstancesCommand({
        ImageId: request.image.imageId,
        InstanceType: request.instanceType as never,
        MinCount: 1,
        MaxCount: 1,
        ClientToken: request.clientToken,
        InstanceInitiatedShutdownBehavior: 'terminate',
        UserData: selfDestructUserData(request.selfDestructMinutes),
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' },
        TagSpecifications: [tagSpec('instance', tags), tagSpec('volume', rootTags)],
        ...(request.availabilityZone ? { Placement: { AvailabilityZone: request.availabilityZone } } : {}),
        ...(overrides.keyName ? { KeyName: overrides.keyName } : {}),
        ...(overrides.securityGroups ? { SecurityGroups: overrides.securityGroups } : {}),
        ...(overrides.securityGroupIds ? { SecurityGroupIds: overrides.securityGroupIds } : {}),
        ...(overrides.subnetId ? { SubnetId: overrides.subnetId } : {}),
        ...(overrides.iamInstanceProfile ? { IamInstanceProfile: { Name: overrides.iamInstanceProfile.name, Arn: overrides.iamInstanceProfile.arn } } : {}),
        ...(overrides.ebsOptimized !== undefined ? { EbsOptimized: overrides.ebsOptimized } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    ),
  );
  const instance = response.Instances?.[0];
  if (!instance?.InstanceId) throw new OffsiteError('launching the instance: EC2 returned no instance');
  return instance;
}

export async function waitForRunning(ec2: EC2Client, instanceId: string, timeoutMs: number, signal?: AbortSignal): Promise<Instance> {
  try {
    await waitUntilInstanceRunning(
      { client: ec2, maxWaitTime: Math.ceil(timeoutMs / 1000), minDelay: 2, maxDelay: 15, ...(signal ? { abortSignal: signal } : {}) },
      { InstanceIds: [instanceId] },
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    throw awsError(error, `waiting for ${instanceId} to run`);
  }
  return describeInstance(ec2, instanceId);
}

export async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance> {
  const found = await aws(`describing ${instanceId}`, () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
  const instance = found.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new OffsiteError(`instance ${instanceId} has disappeared`);
  return instance;
}

/** Public DNS, then public IP, then private IP (for runs from inside the VPC). */
export function instanceAddress(instance: Instance): string | undefined {
  return instance.PublicDnsName || instance.PublicIpAddress || instance.PrivateIpAddress || undefined;
}

export async function readConsoleOutput(ec2: EC2Client, instanceId: string): Promise<string> {
  const out = await aws('reading the console output', () => ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId })));
  return out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : '';
}

export async function terminateInstance(ec2: EC2Client, instanceId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  await aws(`terminating ${instanceId}`, () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
  try {
    await waitUntilInstanceTerminated(
      { client: ec2, maxWaitTime: Math.ceil(timeoutMs / 1000), minDelay: 2, maxDelay: 15, ...(signal ? { abortSignal: signal } : {}) },
      { InstanceIds: [instanceId] },
    );
  } catch (error) {
    throw awsError(error, `waiting for ${instanceId} to terminate`);
  }
}
