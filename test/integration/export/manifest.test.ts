import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partitionName } from '../../../src/core/export/device.js';
import { classicManifestText, parseManifest, readManifest } from '../../../src/core/export/manifest.js';
import { maskKeyId, redactManifestText } from '../../../src/core/export/redact.js';
import { Redaction } from '../../../src/cli/redaction.js';
import { repoRoot } from '../../helpers/cli.js';
import { manifests, s3export, TRUECRYPT_PASSWORD } from './helpers.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

const fx = useSandbox('export-manifest', { jobServicesOnly: {} });

/** Each bad manifest, the line its one-line error names, and what it says (after `<file>:<line>: `). */
const BAD: [file: string, line: number, message: RegExp][] = [
  ['syntax-error.yml', 9, /^not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a \]$/],
  ['missing-access-key.yml', 1, /^accessKeyId: is required$/],
  ['wrong-key-id.yml', 2, /^accessKeyId: is \*{16}MPLE, but requests are signed with \*{16}MPLE; they must be the same key$/],
  ['unknown-bucket-field.yml', 9, /^operations\[0\]\.exportBuckt: is not a field of operations\[0\] \(did you mean exportBucket\?\)$/],
  ['bad-address.yml', 15, /^returnAddress\.phoneNumber: is not a phone number/],
  ['missing-street.yml', 9, /^returnAddress\.street1: is required$/],
  ['bad-bucket-name.yml', 8, /^operations\[0\]\.exportBucket: is not a valid S3 bucket name/],
  ['template-placeholder.yml', 3, /^deviceId: must be a single value, not a list \(a \[placeholder\] from the template\?\)$/],
  ['duplicate-key.yml', 5, /^not valid YAML: Map keys must be unique$/],
  ['bad-file-system.yml', 4, /^fileSystem: must be one of EXT4, NTFS$/],
  ['no-encryption.yml', 1, /^trueCryptPassword: is required unless pinCode is set/],
  ['import-field.yml', 6, /^eraseDevice: is a field of import manifests/],
  ['markers-reversed.yml', 10, /^operations\[0\]\.endMarker: must sort after beginMarker/],
  ['manifest-version.yml', 1, /^manifestVersion: must be 2\.0/],
  ['no-operations.yml', 7, /^operations: must list at least one "- exportBucket: <bucket>"$/],
  ['bad-email.yml', 6, /^notificationEmail: must be e-mail addresses separated by semicolons$/],
  ['bad-pin.yml', 6, /^pinCode: must be 4 to 16 digits$/],
  ['not-a-mapping.yml', 1, /^the manifest must be a mapping of fields/],
];

describe('bad manifests: one line naming the file, the line and the field; exit 2; nothing sent', () => {
  for (const [file, line, message] of BAD) {
    it(file, async () => {
      const path = relative(repoRoot, join(manifests, 'bad', file)); // relative: taken from the current directory
      const calls = fx.sandbox.importExport.calls.length;
      const run = await s3export(['create-job', path, '--dry-run'], { env: fx.env });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(lines, run.stderr).toHaveLength(1);
      const prefix = `s3export: ${path}:${line}: `;
      expect(lines[0]!.startsWith(prefix), lines[0]).toBe(true);
      expect(lines[0]!.slice(prefix.length)).toMatch(message);
      expect(run.stderr).not.toContain(TRUECRYPT_PASSWORD);
      expect(fx.sandbox.importExport.calls.length).toBe(calls);
    });
  }

  it('a manifest that does not exist', async () => {
    const run = await s3export(['create-job', 'no/such/manifest.yml', '--dry-run'], { env: fx.env });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toBe('s3export: no/such/manifest.yml: no such manifest file\n');
  });
});

describe('the manifest model', () => {
  it('reads the fixtures, keeping text scalars exactly as typed', async () => {
    const m = await readManifest(join(manifests, 'export.yml'));
    expect(m.fields.returnAddress.postalCode).toBe('02134');
    expect(m.fields.manifestVersion).toBe('2.0');
    expect(m.fields.customs?.encryptedData).toBe('yes');
    expect(m.fields.operations[1]).toEqual({ exportBucket: 'offsite-docs', beginMarker: 'reports/2025-12-31', endMarker: 'reports/2026-06-30' });
    expect(m.secrets).toEqual([TRUECRYPT_PASSWORD]);
    expect(m.lineOf(['operations', 1, 'endMarker'])).toBe(20);
    expect(classicManifestText(m)).toBe(await readFile(join(manifests, 'export.yml'), 'utf8'));
  });

  it('a PIN keeps its leading zero and counts as a secret', () => {
    const m = parseManifest((TEXT_WITH_PIN as string).replace('PIN', '0042'), 'pin.yml');
    expect(m.fields.pinCode).toBe('0042');
    expect(m.secrets).toEqual(['0042']);
  });

  it('the snowball: block is left out of what Import/Export receives', async () => {
    const m = await readManifest(join(manifests, 'snowball.yml'));
    expect(classicManifestText(m)).not.toMatch(/^snowball:|^ +roleArn:/m);
    expect(classicManifestText(m)).toMatch(/exportBucket: offsite-photos/);
  });

  it('redacts secrets in echoed manifests and in any text', async () => {
    const text = await readFile(join(manifests, 'export.yml'), 'utf8');
    const redacted = redactManifestText(text)!;
    expect(redacted).not.toContain(TRUECRYPT_PASSWORD);
    expect(redacted).toMatch(/trueCryptPassword: "?\*{8}"?/);
    expect(redactManifestText('a: [unclosed')).toBeUndefined();
    expect(new Redaction([TRUECRYPT_PASSWORD]).text(`failed: ${TRUECRYPT_PASSWORD}!`)).toBe('failed: ********!');
    expect(maskKeyId('AKIAIOSFODNN7EXAMPLE')).toBe('****************MPLE');
  });
});

describe('partition names (the kernel rule, not the original trailing-digit guess)', () => {
  it.each([
    ['sdb', 'sdb1'],
    ['xvdf', 'xvdf1'],
    ['vdb', 'vdb1'],
    ['nvme0n1', 'nvme0n1p1'],
    ['mmcblk0', 'mmcblk0p1'],
    ['loop0', 'loop0p1'],
    ['md127', 'md127p1'],
  ])('%s → %s', (disk, part) => {
    expect(partitionName(disk, 1)).toBe(part);
  });
});

const TEXT_WITH_PIN = `manifestVersion: 2.0
accessKeyId: AKIAIOSFODNN7EXAMPLE
deviceId: 1
fileSystem: NTFS
logBucket: logs-bucket
pinCode: PIN
operations:
  - exportBucket: data-bucket
returnAddress:
  name: A
  street1: B
  city: C
  postalCode: 01234
  country: D
  phoneNumber: 555-0100 12
`;
