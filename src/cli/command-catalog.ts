/**
 * offsite's commands as its top-level help lists them: name, arguments, one-line description. Each command's
 * module takes its description from here, and `offsite --help` is answered from this table alone, so the
 * commands' modules (and everything they import) are loaded only when one of them runs.
 */
export const COMMANDS = {
  ebs: { args: ['<dir>'], description: 'back up a directory onto an EBS volume through a temporary EC2 instance' },
  archive: { args: ['<profile.ini>'], description: 'snapshot a live filesystem (LVM, btrfs) and add a dar archive to its monthly full/incremental chain' },
  s3: { args: ['[dir]', '[destination]'], description: 'store a directory in S3 and verify every object (or run the Cedar Backup amazons3 action)' },
  export: { args: [], description: 'ship-a-disk export jobs: AWS Import/Export Disk (retired) and AWS Snowball (closed to new customers)' },
  verify: { args: ['<device-or-dir>'], description: 'prove a backup against its source: a directory or returned disk against S3, or an EBS volume against a directory' },
  cleanup: { args: [], description: 'list what offsite runs left behind (instances, unfinished volumes, uploads, mounts, temp dirs); --yes removes it' },
  restore: { args: ['[source]', '[target]'], description: 'restore a backup (EBS volume or snapshot, S3 prefix, dar archive) into a directory, proved before it is written' },
} as const satisfies Record<string, { args: readonly string[]; description: string }>;
