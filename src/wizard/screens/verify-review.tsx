import { CommandReview } from '../components/command-review.js';
import { verifyArgv, type VerifyAnswers } from '../job-answers.js';

/** What verify will compare, and the command that does it; it only reads. */
export function VerifyReviewScreen(props: { answers: VerifyAnswers; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { answers } = props;
  const steps =
    answers.against === 's3'
      ? [
          `open ${answers.source} read-only (a disk or image is mounted read-only in a private directory)`,
          `compare 100 random files with the objects under ${answers.bucket} (size and checksums)`,
          'report every difference; nothing is written on either side',
        ]
      : [
          `launch a temporary instance and attach ${answers.volumeId} (it is only read: a dd image is hashed, an rsync mirror mounted read-only)`,
          `compare 100 random files of ${answers.dir} with the volume (checksums)`,
          'detach the volume and terminate the instance, also on failure or Ctrl-C',
        ];
  return <CommandReview steps={steps} scriptLabel="The same check from a script:" argv={verifyArgv(answers)} enterDoes="starts" onConfirm={props.onConfirm} onBack={props.onBack} />;
}
