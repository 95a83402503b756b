import { DEFAULT_FORKS, parseCommon } from '../../cli/plans/verify.js';
import { DEFAULT_SAMPLE, parseSample, parseSeed } from '../../cli/plans/verify-sample.js';
import type { VerifyAnswers, VerifySampling } from '../job-answers.js';
import { ChoiceScreen } from '../screens/choice.js';
import { PathScreen } from '../screens/path.js';
import type { Step } from '../steps.js';
import type { Nav } from './nav.js';

type SamplingStep = Extract<Step, { name: 'verify-sample' | 'verify-sample-size' | 'verify-seed' | 'verify-download' | 'verify-forks' }>;

/** The command's own parser is the check, so the screen refuses exactly what verify would (its message, one line). */
const problemOf = (parse: () => unknown): string | undefined => {
  try {
    parse();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

/**
 * How much verify compares and how: the default (100 random files) goes straight to the review; a sample of its own
 * asks its size, a seed, S3's --download, and --forks; every file skips the seed.
 */
export function samplingScreen(step: SamplingStep, nav: Nav) {
  const { answers } = step;
  const sampling = answers.sampling ?? {};
  const s3 = answers.against === 's3';
  const withSampling = (more: VerifySampling): VerifyAnswers => ({ ...answers, sampling: { ...sampling, ...more } });
  const afterSeed = (next: VerifyAnswers): Step => (s3 ? { name: 'verify-download', answers: next } : { name: 'verify-forks', answers: next });
  switch (step.name) {
    case 'verify-sample':
      return (
        <ChoiceScreen<'default' | 'sample' | 'all'>
          title="How much to compare?"
          memory="verify-sample"
          choices={[
            { value: 'default', label: `${DEFAULT_SAMPLE} random files, the default settings`, hint: 'a new sample each run; the seed used is reported' },
            { value: 'sample', label: `A number or a share of the files, with a seed${s3 ? ', --download' : ''} and --forks`, hint: '--sample N or P%' },
            { value: 'all', label: 'Every file', hint: '--all' },
          ]}
          onBack={nav.back}
          onDone={(how) =>
            nav.go(
              how === 'default'
                ? { name: 'verify-review', answers: { ...answers, sampling: {} } }
                : how === 'all'
                  ? afterSeed({ ...answers, sampling: { all: true } })
                  : { name: 'verify-sample-size', answers: { ...answers, sampling: {} } },
            )
          }
        />
      );
    case 'verify-sample-size':
      return (
        <PathScreen
          title="How many files?"
          help={`a number of files (like 250) or a share of them (like 5%); Enter alone: ${DEFAULT_SAMPLE} — Esc goes back`}
          draftKey="verify-sample-size"
          placeholder={String(DEFAULT_SAMPLE)}
          check={async (value) => (value ? problemOf(() => parseSample(value)) : undefined)}
          onBack={nav.back}
          onDone={(value) => {
            const chosen = value ? parseSample(value) : undefined;
            const next = chosen?.mode === 'all' ? withSampling({ all: true }) : withSampling(value ? { sample: value } : {});
            nav.go(chosen?.mode === 'all' ? afterSeed(next) : { name: 'verify-seed', answers: next });
          }}
        />
      );
    case 'verify-seed':
      return (
        <PathScreen
          title="A seed, to draw the same files again? (optional)"
          help="any word or number: the same seed picks the same files (--seed); Enter alone: a new random one, reported at the end — Esc goes back"
          draftKey="verify-seed"
          check={async (value) => (value ? problemOf(() => parseSeed(value)) : undefined)}
          onBack={nav.back}
          onDone={(value) => nav.go(afterSeed(withSampling(value ? { seed: value } : {})))}
        />
      );
    case 'verify-download':
      return (
        <ChoiceScreen<boolean>
          title="Compare how?"
          memory="verify-download"
          choices={[
            { value: false, label: 'By the sizes and checksums S3 keeps', hint: 'nothing is downloaded; an object without a usable checksum stays unverified' },
            { value: true, label: 'Also download each compared object and compare its bytes', hint: '--download: the only end-to-end check; costs the transfer' },
          ]}
          onBack={nav.back}
          onDone={(download) => nav.go({ name: 'verify-forks', answers: withSampling(download ? { download } : {}) })}
        />
      );
    case 'verify-forks':
      return (
        <PathScreen
          title="How many at once?"
          help={`directory listings, requests and hashes in flight, 1 to 64; Enter alone: ${DEFAULT_FORKS} (--forks) — Esc goes back`}
          draftKey="verify-forks"
          placeholder={String(DEFAULT_FORKS)}
          check={async (value) => (value ? problemOf(() => parseCommon({ forks: value })) : undefined)}
          onBack={nav.back}
          onDone={(value) => nav.go({ name: 'verify-review', answers: withSampling(value ? { forks: Number(value) } : {}) })}
        />
      );
  }
}
