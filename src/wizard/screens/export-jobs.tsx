import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { JobSummary, ServiceName } from '../../core/export/service.js';
import { SelectList, type Choice } from '../components/select-list.js';
import { CommandReview } from '../components/command-review.js';
import { jobArgv, type JobAnswers } from '../job-answers.js';
import { wizardMessage, type AwsChoice, type WizardServices } from '../services.js';

/** A job's state as the list shows it: Snowball names it, Import/Export lists only whether it was cancelled. */
function stateOf(job: JobSummary): string {
  return job.state ?? (job.cancelled ? 'cancelled' : 'open');
}

/** The account's jobs on one service, each with its state as the service reports it now; or all of them as a listing. */
export function ExportJobsScreen(props: {
  services: WizardServices;
  service: ServiceName;
  aws?: AwsChoice;
  onDone: (pick: { kind: 'list' } | { kind: 'job'; job: JobSummary }) => void;
  onBack: () => void;
}) {
  const [jobs, setJobs] = useState<JobSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const list = props.services.listExportJobs;
    if (!list) return setJobs([]);
    list(props.service, props.aws).then(setJobs, (e: unknown) => (setError(wizardMessage(e)), setJobs([])));
  }, []);
  const choices: Choice<{ kind: 'list' } | { kind: 'job'; job: JobSummary }>[] = [
    { value: { kind: 'list' }, label: 'All jobs: list them (export list-jobs)', hint: 'every page, newest first' },
    ...(jobs ?? []).map((job) => ({
      value: { kind: 'job' as const, job },
      label: `${job.jobId}  ${stateOf(job).padEnd(12)} ${job.creationDate?.slice(0, 16) ?? ''}  ${job.description ?? job.jobType ?? ''}`,
    })),
  ];
  return (
    <Box flexDirection="column">
      <Text bold>Which job?</Text>
      {jobs === undefined ? <Text dimColor>asking the service for your jobs …</Text> : null}
      {error ? <Text color="yellow">{`could not list jobs: ${error}`}</Text> : null}
      {jobs?.length === 0 && !error ? <Text dimColor>no jobs on this service</Text> : null}
      <SelectList choices={choices} onSelect={props.onDone} onBack={props.onBack} memory={`jobs-${props.service}`} />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}

/** What each job command does, for its review. */
function stepsOf(answers: JobAnswers): string[] {
  const { action } = answers;
  if (action.kind === 'list') return ['list every job of the account (all pages), newest first'];
  if (action.kind === 'status') return action.watch ? [`show the state of ${action.jobId}`, 'poll and show each new state until it is over (Ctrl-C stops watching)'] : [`show the state of ${action.jobId} once`];
  if (action.kind === 'cancel') return [`cancel ${action.jobId}; the service refuses once the job has started`];
  return [`get the shipping label of ${action.jobId} (the return address of ${action.manifest})`];
}

/** The job command's review; cancelling needs the job id typed back. */
export function JobReviewScreen(props: { answers: JobAnswers; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { action } = props.answers;
  return (
    <CommandReview
      steps={stepsOf(props.answers)}
      scriptLabel="The same from a script:"
      argv={jobArgv(props.answers)}
      enterDoes="runs it"
      {...(action.kind === 'cancel' ? { typedConfirmation: { prompt: `This cancels ${action.jobId}. Type its id to confirm:`, expected: action.jobId } } : {})}
      onConfirm={props.onConfirm}
      onBack={props.onBack}
    />
  );
}
