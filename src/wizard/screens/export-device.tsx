import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { formatBytes } from '../../util/format.js';
import { SelectList, type Choice } from '../components/select-list.js';
import { wizardMessage, type DeviceChoiceInfo, type WizardServices } from '../services.js';

/** The disk to ship, from lsblk (model last and whole: only the terminal's width cuts a line); system disks and mounted or read-only ones are flagged and cannot be chosen. */
export function ExportDeviceScreen(props: { services: WizardServices; onDone: (device: string | undefined) => void; onBack: () => void }) {
  const [devices, setDevices] = useState<DeviceChoiceInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    props.services.listDevices().then(setDevices, (e: unknown) => (setError(wizardMessage(e)), setDevices([])));
  }, []);
  const choices: Choice<string | undefined>[] = [
    { value: undefined, label: 'No device yet: have the service validate the job only (--dry-run)', hint: 'nothing is created, no disk is touched' },
    ...(devices ?? []).map((d) => ({
      value: d.path,
      label: `${d.path.padEnd(14)} ${formatBytes(d.sizeBytes).padStart(10)}  ${(d.serial || '-').padEnd(16)} ${d.model || '-'}`,
      ...(d.unusableReason ? { disabledReason: d.unusableReason } : {}),
    })),
  ];
  return (
    <Box flexDirection="column">
      <Text bold>Which device? (it will be partitioned and formatted)</Text>
      {devices === undefined ? <Text dimColor>listing disks …</Text> : null}
      {error ? <Text color="yellow">{`could not list disks: ${error}`}</Text> : null}
      <SelectList choices={choices} onSelect={props.onDone} onBack={props.onBack} />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}
