import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { SelectList, type Choice } from '../components/select-list.js';
import type { VolumeChoiceInfo, WizardServices } from '../services.js';

export type VolumeAnswer = { kind: 'new'; sizeGiB: number } | { kind: 'existing'; volume: VolumeChoiceInfo };

/** Why a listed volume cannot take this backup, if it cannot. */
export function unusableReason(volume: VolumeChoiceInfo, neededGiB: number): string | undefined {
  if (volume.state === 'in-use') return 'in use';
  if (volume.state !== 'available') return volume.state;
  if (volume.sizeGiB < neededGiB) return `too small: needs ${neededGiB} GiB`;
  return undefined;
}

/** A new volume (2 × the directory) or one of the account's volumes, read from DescribeVolumes. */
export function VolumeScreen(props: { services: WizardServices; neededGiB: number; onDone: (answer: VolumeAnswer) => void; onBack: () => void }) {
  const [volumes, setVolumes] = useState<VolumeChoiceInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    props.services.listVolumes().then(setVolumes, (e: Error) => (setError(e.message), setVolumes([])));
  }, []);
  const choices: Choice<VolumeAnswer>[] = [
    { value: { kind: 'new', sizeGiB: props.neededGiB }, label: `A new ${props.neededGiB} GiB gp3 volume`, hint: '2 × the directory, rounded up' },
    ...(volumes ?? []).map((volume) => {
      const reason = unusableReason(volume, props.neededGiB);
      return {
        value: { kind: 'existing' as const, volume },
        label: `${volume.id} ${(volume.name ?? '-').padEnd(12).slice(0, 12)} ${String(volume.sizeGiB).padStart(5)} GiB ${volume.zone} ${volume.state}`,
        ...(reason ? { disabledReason: reason } : {}),
      };
    }),
  ];
  return (
    <Box flexDirection="column">
      <Text bold>Which volume?</Text>
      {volumes === undefined ? <Text dimColor>reading your volumes …</Text> : null}
      {error ? <Text color="yellow">{`could not list volumes: ${error}`}</Text> : null}
      <SelectList choices={choices} onSelect={props.onDone} onBack={props.onBack} />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}
