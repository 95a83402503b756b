import type { Tag, TagSpecification, ResourceType } from '@aws-sdk/client-ec2';

export const TAG_RUN_ID = 'offsite:run-id';
export const TAG_CREATED_BY = 'offsite:created-by';
export const TAG_ROLE = 'offsite:role';

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
