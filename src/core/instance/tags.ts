import type { Tag, TagSpecification, ResourceType } from '@aws-sdk/client-ec2';

export const TAG_RUN_ID = 'offsite:run-id';
export const TAG_CREATED_BY = 'offsite:created-by';
export const TAG_ROLE = 'offsite:role';
/** in-progress while a run writes the volume, then complete or inconsistent (see proof.ts). */
export const TAG_STATE = 'offsite:state';
/** The run that last changed the volume's data (whatever the state). */
export const TAG_STATE_RUN = 'offsite:state-run';
/** Set at claim time on a volume the user named with -v: offsite never deletes it. */
export const TAG_NAMED_BY_USER = 'offsite:named-by-user';
/** `<runId>@<ISO time>`: which run holds a named volume, since when (see volume-lock.ts). */
export const TAG_LOCK = 'offsite:lock';

/** Tags every resource carries from the moment it exists, so a janitor can find it even if the ledger is lost. */
export function runTags(runId: string, createdBy: string, role: string): Tag[] {
  return [
    { Key: 'Name', Value: `offsite-${role}-${runId}` },
    { Key: TAG_RUN_ID, Value: runId },
    { Key: TAG_CREATED_BY, Value: createdBy },
    { Key: TAG_ROLE, Value: role },
  ];
}

export function tagSpec(resourceType: ResourceType, tags: Tag[]): TagSpecification {
  return { ResourceType: resourceType, Tags: tags };
}
