import { formatBytes } from '../../util/format.js';
import { s3Argv, type S3Answers } from '../answers.js';
import { CommandReview } from '../components/command-review.js';

/** Rough S3 Standard price (us-east-1, 2026) for the estimate. */
const S3_STANDARD_PER_GIB_MONTH = 0.023;

export function S3ReviewScreen(props: { answers: S3Answers; dirBytes: number; files: number; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const gib = props.dirBytes / 2 ** 30;
  return (
    <CommandReview
      steps={[
        `hash the ${props.files} files of ${props.answers.dir} (${formatBytes(props.dirBytes)}) and skip those already stored unchanged`,
        'upload the rest to a staging area in the bucket, with checksums, and read each one back',
        `only then copy them into place under ${props.answers.destination}; nothing stored is removed or replaced before that`,
      ]}
      notes={[`cost: about $${Math.max(0.01, gib * S3_STANDARD_PER_GIB_MONTH).toFixed(2)} per month in S3 Standard, plus requests`]}
      scriptLabel="The same store from a script:"
      argv={s3Argv(props.answers)}
      enterDoes="starts"
      onConfirm={props.onConfirm}
      onBack={props.onBack}
    />
  );
}
