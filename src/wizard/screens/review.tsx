import { formatBytes } from '../../util/format.js';
import { ebsArgv, type EbsAnswers } from '../answers.js';
import { CommandReview } from '../components/command-review.js';

/** Rough on-demand prices (us-east-1, 2026) for the estimate on the review screen. */
const GP3_PER_GIB_MONTH = 0.08;
const T3_MICRO_PER_HOUR = 0.0104;

/**
 * Everything that will happen, what it creates and roughly costs, and the exact non-interactive command.
 * Overwriting an existing volume (dd) needs its id typed back.
 */
export function ReviewScreen(props: { answers: EbsAnswers; dirBytes: number; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { answers } = props;
  const argv = ebsArgv(answers);
  const destructive = Boolean(answers.volumeId && answers.method === 'dd');
  const size = answers.volumeId ? undefined : answers.sizeGiB;
  const steps = [
    `launch a temporary t3.micro instance (Amazon Linux 2023), tagged, set to terminate itself after 3 hours`,
    answers.volumeId ? `attach your volume ${answers.volumeId} (it is never deleted)` : `create a new ${size} GiB gp3 volume and attach it`,
    answers.method === 'dd'
      ? `stream a tar of ${answers.dir} (${formatBytes(props.dirBytes)}) onto the raw volume with dd${answers.volumeId ? ', OVERWRITING everything on it' : ''}, then check it by SHA-256`
      : `make an ext4 filesystem only if the volume is blank, mount it, rsync ${answers.dir} (${formatBytes(props.dirBytes)}) onto it, unmount`,
    'detach the volume and terminate the instance, also on failure or Ctrl-C',
  ];
  const cost = size ? `about $${(size * GP3_PER_GIB_MONTH).toFixed(2)} per month for the volume, plus about $${T3_MICRO_PER_HOUR} per hour of instance` : `about $${T3_MICRO_PER_HOUR} per hour of instance`;
  return (
    <CommandReview
      steps={steps}
      notes={[`cost: ${cost}`]}
      scriptLabel="The same backup from a script:"
      argv={argv}
      enterDoes="starts the backup"
      {...(destructive ? { typedConfirmation: { prompt: `This overwrites ${answers.volumeId}. Type its id to confirm:`, expected: answers.volumeId! } } : {})}
      onConfirm={props.onConfirm}
      onBack={props.onBack}
    />
  );
}
