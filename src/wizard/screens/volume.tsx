import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { SelectList, type Choice } from '../components/select-list.js';
import { wizardMessage, type AwsChoice, type VolumeChoiceInfo, type WizardServices } from '../services.js';

export type VolumeAnswer = { kind: 'new'; sizeGiB: number } | { kind: 'existing'; volume: VolumeChoiceInfo };

/** Why a listed volume cannot take this backup, if it cannot. */
export function unusableReason(volume: VolumeChoiceInfo, neededGiB: number): string | undefined {
  if (volume.state === 'in-use') return 'in use';
  if (volume.state !== 'available') return volume.state;
  if (volume.sizeGiB < neededGiB) return `too small: needs ${neededGiB} GiB`;
  return undefined;
}

/** A volume's line: the Name tag last and whole, so only the terminal's width cuts it (with an ellipsis). */
export function volumeLabel(volume: VolumeChoiceInfo): string {
  return `${volume.id} ${String(volume.sizeGiB).padStart(5)} GiB ${volume.zone} ${volume.state.padEnd(9)} ${volume.name ?? '-'}`;
}

/**
 * A new volume (2 × the directory) or one of the account's volumes, read from DescribeVolumes. Without
 * `neededGiB` (verify) there is no new volume to offer and only the size is not checked.
 */
export function VolumeScreen(props: { services: WizardServices; aws?: AwsChoice; neededGiB?: number; title?: string; onDone: (answer: VolumeAnswer) => void; onBack: () => void }) {
  const [volumes, setVolumes] = useState<VolumeChoiceInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    props.services.listVolumes(props.aws).then(setVolumes, (e: unknown) => (setError(wizardMessage(e)), setVolumes([])));
  }, []);
  const choices: Choice<VolumeAnswer>[] = [
    ...(props.neededGiB ? [{ value: { kind: 'new' as const, sizeGiB: props.neededGiB }, label: `A new ${props.neededGiB} GiB gp3 volume`, hint: '2 × the directory, rounded up' }] : []),
    ...(volumes ?? []).map((volume) => {
      const reason = unusableReason(volume, props.neededGiB ?? 0);
      return {
        value: { kind: 'existing' as const, volume },
        label: volumeLabel(volume),
        ...(reason ? { disabledReason: reason } : {}),
      };
    }),
  ];
  return (
    <Box flexDirection="column">
      <Text bold>{props.title ?? 'Which volume?'}</Text>
      {volumes === undefined ? <Text dimColor>reading your volumes …</Text> : null}
      {error ? <Text color="yellow">{`could not list volumes: ${error}`}</Text> : null}
      <SelectList choices={choices} onSelect={props.onDone} onBack={props.onBack} memory={props.neededGiB ? 'volume' : 'verify-volume'} />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}
