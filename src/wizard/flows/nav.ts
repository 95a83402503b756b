import type { ReactNode } from 'react';
import type { Step } from '../steps.js';
import type { AwsChoice, WizardServices } from '../services.js';

/** What a flow's screens can do: open the next screen, go back one, or end the wizard with a command line. */
export interface Nav {
  services: WizardServices;
  aws: AwsChoice;
  go(step: Step): void;
  back(): void;
  finish(argv: string[]): void;
}

/** Draws the screen of one step, or nothing when the step belongs to another flow. */
export type Flow = (step: Step, nav: Nav) => ReactNode | undefined;
