import { Box, Text } from 'ink';
import { useRef } from 'react';
import type { SnowballSettings } from '../../core/export/service.js';
import type { SnowballOutline } from '../../core/export/snowball-outline.js';
import { commandLine } from '../answers.js';
import { SelectList } from '../components/select-list.js';
import { snowballArgv, type SnowballAnswers } from '../job-answers.js';
import { absolutePath, type WizardServices } from '../services.js';
import type { SnowballDraft } from '../steps.js';
import { PathScreen } from './path.js';

type ShippingOption = NonNullable<SnowballSettings['shippingOption']>;

/** The manifest of a new Snowball job, held to Snowball's rules on the spot (a problem shows with its line). */
export function SnowballManifestScreen(props: { services: WizardServices; onDone: (draft: { manifest: string; outline: SnowballOutline }) => void; onBack: () => void }) {
  // The check reads the manifest once; what it read is what the next screens show.
  const read = useRef<SnowballOutline | undefined>(undefined);
  return (
    <PathScreen
      title="Which manifest? (Snowball)"
      help="the export manifest (YAML) with a returnAddress and a snowball: block — Tab completes, Enter checks it, Esc goes back"
      draftKey="snowball-manifest"
      placeholder="manifest.yml"
      complete={(partial) => props.services.complete(partial, { files: true })}
      check={async (value) => {
        if (!value) return 'type the path of the export manifest (YAML)';
        const outline = await props.services.outlineSnowball?.(value);
        if (!outline) return 'this wizard cannot read Snowball manifests here';
        if ('problem' in outline) return outline.problem;
        read.current = outline;
        return undefined;
      }}
      onBack={props.onBack}
      onDone={(value) => props.onDone({ manifest: absolutePath(value), outline: read.current! })}
    />
  );
}

const SHIPPING: Record<ShippingOption, string> = {
  STANDARD: 'standard shipping',
  SECOND_DAY: 'second-day air',
  NEXT_DAY: 'next-day air',
  EXPRESS: 'express',
};

/** Where AWS ships the appliance (the manifest's returnAddress, as CreateAddress gets it), and how fast. */
export function SnowballShippingScreen(props: { outline: SnowballOutline; onDone: (option: ShippingOption | undefined) => void; onBack: () => void }) {
  const { address: a, shippingOption } = props.outline;
  const lines = [a.name, a.company, a.street1, a.street2, a.street3, [a.postalCode, a.city, a.stateOrProvince].filter(Boolean).join(' '), a.country, a.phoneNumber].filter(
    (line): line is string => Boolean(line),
  );
  const others = (Object.keys(SHIPPING) as ShippingOption[]).filter((option) => option !== shippingOption);
  return (
    <Box flexDirection="column">
      <Text bold>AWS ships the appliance to (returnAddress in the manifest):</Text>
      {lines.map((line, i) => (
        <Text key={i}>{`    ${line}`}</Text>
      ))}
      <Text dimColor>  a wrong address is fixed in the manifest: Esc goes back to it</Text>
      <Text> </Text>
      <Text bold>How fast?</Text>
      <SelectList<ShippingOption | undefined>
        choices={[
          { value: undefined, label: `${shippingOption}: ${SHIPPING[shippingOption]}, as the manifest says`, hint: 'no flag' },
          ...others.map((option) => ({ value: option, label: `${option}: ${SHIPPING[option]}`, hint: `--shipping-option ${option}` })),
        ]}
        onSelect={props.onDone}
        onBack={props.onBack}
        memory="snowball-shipping"
      />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}

/** The job's steps, then the service's validation (--dry-run, first) or the job itself; each with its exact command line. */
export function SnowballReviewScreen(props: { draft: SnowballDraft; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { answers, outline } = props.draft;
  const run = (dryRun: boolean): SnowballAnswers => ({ ...answers, dryRun });
  const role = answers.roleArn ?? outline.roleArn;
  return (
    <Box flexDirection="column">
      <Text bold>Review</Text>
      <Text>{`  1. check ${answers.manifest} against Snowball's rules`}</Text>
      <Text>{`  2. CreateAddress: the return address above; CreateJob: an EXPORT of ${outline.buckets.join(', ')}`}</Text>
      <Text>{`  3. AWS reads the buckets as ${role}${answers.kmsKeyArn ?? outline.kmsKeyArn ? ', encrypts with your KMS key' : ''} and ships an appliance (${answers.shippingOption ?? outline.shippingOption})`}</Text>
      {outline.warnings.map((warning, i) => (
        <Text key={`w${i}`} color="yellow">{`  ${warning}`}</Text>
      ))}
      <Text>  Snowball is closed to new customers; the dry run checks the account and shows the request, creating nothing.</Text>
      <Text> </Text>
      <SelectList
        choices={[
          { value: run(true), label: 'Validate first: the account and the request, no job (--dry-run)', hint: commandLine(snowballArgv(run(true))) },
          { value: run(false), label: 'Create the job: AWS ships an appliance (and bills for it)', hint: commandLine(snowballArgv(run(false))) },
        ]}
        onSelect={(chosen) => props.onConfirm(snowballArgv(chosen))}
        onBack={props.onBack}
        memory="snowball-run"
      />
      <Text dimColor>Enter runs the chosen command, Esc goes back</Text>
    </Box>
  );
}
