import { CommandReview } from '../components/command-review.js';
import { verifyArgv, type VerifyAnswers, type VerifySampling } from '../job-answers.js';

/** What the sample is, in words: "100 random files", "a random 5% of the files (seed 42)", "every file". */
function sampleWords(sampling: VerifySampling = {}): string {
  const seed = sampling.seed ? ` (seed ${sampling.seed})` : '';
  if (sampling.all) return 'every file';
  const sample = sampling.sample ?? '100';
  return sample.endsWith('%') ? `a random ${sample} of the files${seed}` : `${sample} random files${seed}`;
}

/** What verify will compare, and the command that does it; it only reads. */
export function VerifyReviewScreen(props: { answers: VerifyAnswers; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { answers } = props;
  const what = sampleWords(answers.sampling);
  const forks = answers.sampling?.forks ? `, ${answers.sampling.forks} at a time` : '';
  const steps =
    answers.against === 's3'
      ? [
          `open ${answers.source} read-only (a disk or image is mounted read-only in a private directory)`,
          answers.sampling?.download
            ? `compare ${what} with the objects under ${answers.bucket}, downloading each to compare its bytes${forks}`
            : `compare ${what} with the objects under ${answers.bucket} (size and checksums${forks})`,
          'report every difference; nothing is written on either side',
        ]
      : [
          `launch a temporary instance and attach ${answers.volumeId} (it is only read: a dd image is hashed, an rsync mirror mounted read-only)`,
          `compare ${what} in ${answers.dir} with the volume (checksums${forks})`,
          'detach the volume and terminate the instance, also on failure or Ctrl-C',
        ];
  return <CommandReview steps={steps} scriptLabel="The same check from a script:" argv={verifyArgv(answers)} enterDoes="starts" onConfirm={props.onConfirm} onBack={props.onBack} />;
}
