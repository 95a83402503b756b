import { Box, Text } from 'ink';
import type { BackupMethod } from '../../core/ebs/plan.js';
import { SelectList } from '../components/select-list.js';

export type WizardMode =
  | { kind: 'ebs'; method: BackupMethod }
  | { kind: 's3' }
  | { kind: 'verify' }
  | { kind: 'archive' }
  /** `create: 'snowball'`: the account is asked on the way to a new Snowball job (its region is the job's). */
  | { kind: 'export'; create?: 'snowball' }
  | { kind: 'restore' }
  | { kind: 'cleanup' };

/** Only modes that work are offered. */
export function ModeScreen(props: { onSelect: (mode: WizardMode) => void }) {
  return (
    <Box flexDirection="column">
      <Text bold>What do you want to do?</Text>
      <SelectList<WizardMode>
        choices={[
          {
            value: { kind: 'ebs', method: 'dd' },
            label: 'Back up a directory to an EBS volume — dd',
            hint: 'a raw tar image of the directory, written straight onto the volume and checked by SHA-256',
          },
          {
            value: { kind: 'ebs', method: 'rsync' },
            label: 'Back up a directory to an EBS volume — rsync',
            hint: 'a browsable ext4 mirror; running it again onto the same volume sends only the changes',
          },
          {
            value: { kind: 's3' },
            label: 'Store a directory in S3',
            hint: 'every file uploaded with checksums, verified, and only then made current; unchanged files are skipped',
          },
          {
            value: { kind: 'verify' },
            label: 'Verify a backup against its source',
            hint: 'a directory, disk or image against S3, or an EBS volume against the directory it holds',
          },
          {
            value: { kind: 'archive' },
            label: 'Archive a live filesystem (dar)',
            hint: 'snapshot LVM or btrfs and add to the monthly dar chain, from a profile; preview it with --noop first',
          },
          {
            value: { kind: 'restore' },
            label: 'Restore a backup',
            hint: 'an EBS volume or snapshot, an S3 prefix or a dar archive, proved before anything is written into the target',
          },
          {
            value: { kind: 'export' },
            label: 'Ship a disk (export jobs)',
            hint: 'prepare a disk for a new job, or follow, cancel or label the jobs you have',
          },
          {
            value: { kind: 'cleanup' },
            label: 'See what earlier runs left behind',
            hint: 'instances, unfinished volumes, uploads and mounts a killed run left; lists them (offsite cleanup)',
          },
        ]}
        onSelect={props.onSelect}
        memory="mode"
      />
      <Text dimColor>↑/↓ to move, Enter to choose, Ctrl-C to quit</Text>
    </Box>
  );
}
