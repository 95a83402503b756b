import { Box, Text } from 'ink';
import type { BackupMethod } from '../../core/ebs/plan.js';
import { SelectList } from '../components/select-list.js';

export type WizardMode = { kind: 'ebs'; method: BackupMethod } | { kind: 's3' } | { kind: 'export' } | { kind: 'restore' } | { kind: 'cleanup' };

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
            value: { kind: 'restore' },
            label: 'Restore a backup',
            hint: 'an EBS volume or snapshot, an S3 prefix or a dar archive, proved before anything is written into the target',
          },
          {
            value: { kind: 'export' },
            label: 'Ship a disk (export job)',
            hint: 'AWS copies S3 data onto a disk you send; validate the manifest first, then prepare the disk',
          },
          {
            value: { kind: 'cleanup' },
            label: 'See what earlier runs left behind',
            hint: 'instances, unfinished volumes, uploads and mounts a killed run left; lists them (offsite cleanup)',
          },
        ]}
        onSelect={props.onSelect}
      />
      <Text dimColor>↑/↓ to move, Enter to choose, Ctrl-C to quit</Text>
    </Box>
  );
}
