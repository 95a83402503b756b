import { Box, Text, useApp, useInput } from 'ink';
import { useRef, useState } from 'react';
import { awsFlags } from './answers.js';
import { DraftProvider } from './draft.js';
import { backupFlow } from './flows/backup.js';
import { exportFlow } from './flows/export.js';
import type { Nav } from './flows/nav.js';
import { restoreFlow } from './flows/restore.js';
import { snowballFlow } from './flows/snowball.js';
import { verifyArchiveFlow } from './flows/verify-archive.js';
import { AccountScreen } from './screens/account.js';
import { ModeScreen, type WizardMode } from './screens/mode.js';
import type { AwsChoice, WizardServices } from './services.js';
import type { Step } from './steps.js';

/** The outcome: the argv of the command to run, or nothing (the operator quit). */
export type WizardOutcome = { argv: string[] } | { quit: true };

const FLOWS = [backupFlow, restoreFlow, exportFlow, snowballFlow, verifyArchiveFlow];

/** Where a mode goes first: jobs that talk to AWS ask for the account before anything is listed. */
function firstStep(mode: WizardMode): Step {
  if (mode.kind === 'export') return { name: 'export-kind' };
  if (mode.kind === 'archive') return { name: 'archive-profile' };
  return { name: 'account', mode };
}

/** Where a mode goes once the account is chosen; cleanup has nothing more to ask (it lists, it removes nothing). */
function afterAccount(mode: WizardMode, aws: AwsChoice): Step | { argv: string[] } {
  switch (mode.kind) {
    case 'ebs':
    case 's3':
      return { name: 'directory', mode };
    case 'verify':
      return { name: 'verify-kind' };
    case 'restore':
      return { name: 'restore-source' };
    case 'export':
      return mode.create === 'snowball' ? { name: 'snowball-manifest' } : { name: 'export-service' };
    default:
      return { argv: ['cleanup', ...awsFlags(aws)] };
  }
}

/**
 * Walks one job from mode to review; it only builds the command line, it runs nothing. The screens are a stack:
 * Esc pops one, and what was typed on it is kept (drafts) for when it shows again.
 */
export function WizardApp(props: { services: WizardServices; onDone: (outcome: WizardOutcome) => void }) {
  const { exit } = useApp();
  const [stack, setStack] = useState<Step[]>([{ name: 'mode' }]);
  const [aws, setAws] = useState<AwsChoice>({});
  const drafts = useRef(new Map<string, unknown>()).current;
  const finish = (outcome: WizardOutcome): void => {
    props.onDone(outcome);
    exit();
  };
  useInput((input, key) => {
    if (key.ctrl && input === 'c') finish({ quit: true });
  });
  // A key heard twice by a screen that is already being left (a bounce, a burst) moves only once.
  const depth = stack.length;
  const nav: Nav = {
    services: props.services,
    aws,
    go: (step) => setStack((s) => (s.length === depth ? [...s, step] : s)),
    back: () => setStack((s) => (s.length === depth && s.length > 1 ? s.slice(0, -1) : s)),
    finish: (argv) => finish({ argv }),
  };
  const step = stack.at(-1)!;
  let screen;
  if (step.name === 'mode') screen = <ModeScreen onSelect={(mode) => nav.go(firstStep(mode))} />;
  else if (step.name === 'account') {
    screen = (
      <AccountScreen
        services={props.services}
        onBack={nav.back}
        onDone={(chosen) => {
          setAws(chosen);
          const next = afterAccount(step.mode, chosen);
          if ('argv' in next) nav.finish(next.argv);
          else nav.go(next);
        }}
      />
    );
  } else for (const flow of FLOWS) screen ??= flow(step, nav);
  return (
    <DraftProvider drafts={drafts}>
      <Box flexDirection="column" paddingX={1}>
        <Text color="cyan" bold>
          offsite
        </Text>
        <Text> </Text>
        <Box key={stack.length} flexDirection="column">
          {screen}
        </Box>
      </Box>
    </DraftProvider>
  );
}
