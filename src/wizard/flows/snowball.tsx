import { snowballArnProblem } from '../../core/export/snowball-outline.js';
import { PathScreen } from '../screens/path.js';
import { SnowballManifestScreen, SnowballReviewScreen, SnowballShippingScreen } from '../screens/snowball.js';
import type { SnowballDraft } from '../steps.js';
import type { Flow, Nav } from './nav.js';

const ARN_FLAGS = { roleArn: '--role-arn', kmsKeyArn: '--kms-key-arn' } as const;

/**
 * An ARN for the job: Enter on an empty field keeps the manifest's (no flag); a typed one must pass the manifest
 * schema's rule and becomes the flag. The role is required from one or the other; the KMS key is optional.
 */
function arnScreen(key: 'roleArn' | 'kmsKeyArn', draft: SnowballDraft, nav: Nav, next: (draft: SnowballDraft) => void) {
  const fromManifest = draft.outline[key];
  const role = key === 'roleArn';
  return (
    <PathScreen
      title={role ? 'Which IAM role may AWS use to read the buckets?' : 'Which KMS key encrypts the job? (optional)'}
      help={
        fromManifest
          ? `Enter keeps the manifest's (snowball.${key}); a typed ARN replaces it (${ARN_FLAGS[key]}) — Esc goes back`
          : role
            ? `the manifest names none: type the role's ARN (${ARN_FLAGS[key]}) — Esc goes back`
            : `Enter: none (AWS's own key); or type a key's ARN (${ARN_FLAGS[key]}) — Esc goes back`
      }
      draftKey={`snowball-${key}`}
      placeholder={fromManifest ?? (role ? 'arn:aws:iam::123456789012:role/snowball-export' : '')}
      check={async (value) => {
        if (!value) return role && !fromManifest ? `type the role's ARN: the manifest has no snowball.roleArn` : undefined;
        const problem = snowballArnProblem(key, value);
        return problem ? `${ARN_FLAGS[key]}: ${problem}` : undefined;
      }}
      onBack={nav.back}
      onDone={(value) => {
        const { [key]: _previous, ...rest } = draft.answers;
        next({ ...draft, answers: value && value !== fromManifest ? { ...rest, [key]: value } : rest });
      }}
    />
  );
}

/** A new Snowball export job: the manifest, the role and KMS key, the address and speed, then --dry-run first. */
export const snowballFlow: Flow = (step, nav) => {
  switch (step.name) {
    case 'snowball-manifest':
      return (
        <SnowballManifestScreen
          services={nav.services}
          onBack={nav.back}
          onDone={({ manifest, outline }) => nav.go({ name: 'snowball-role', draft: { answers: { manifest, aws: nav.aws }, outline } })}
        />
      );
    case 'snowball-role':
      return arnScreen('roleArn', step.draft, nav, (draft) => nav.go({ name: 'snowball-kms', draft }));
    case 'snowball-kms':
      return arnScreen('kmsKeyArn', step.draft, nav, (draft) => nav.go({ name: 'snowball-shipping', draft }));
    case 'snowball-shipping':
      return (
        <SnowballShippingScreen
          outline={step.draft.outline}
          onBack={nav.back}
          onDone={(option) => {
            const { shippingOption: _previous, ...rest } = step.draft.answers;
            nav.go({ name: 'snowball-review', draft: { ...step.draft, answers: option ? { ...rest, shippingOption: option } : rest } });
          }}
        />
      );
    case 'snowball-review':
      return <SnowballReviewScreen draft={step.draft} onBack={nav.back} onConfirm={nav.finish} />;
    default:
      return undefined;
  }
};
