import { beforeAll, describe, expect, it } from 'vitest';
import { ImportExportClient } from '../../../src/aws/importexport/client.js';
import { canonicalQuery, signParams, stringToSign } from '../../../src/aws/importexport/sigv2.js';
import { ExitCode } from '../../../src/exit-codes.js';
import { OffsiteError } from '../../../src/errors.js';
import { startLoopbackServer } from '../../sandbox/fake-http.js';
import { KEY_ID, OTHER_KEY_ID, SECRET } from './helpers.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

// The v2 SDK's own SigV2 signer and ImportExport client, as the independent implementation to agree with.
type AwsV2 = typeof import('aws-sdk');
let AWS: AwsV2;
const fx = useSandbox('export-sigv2', { jobServicesOnly: { importExport: { pageLimit: 2 } } });

beforeAll(async () => {
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
  AWS = (await import('aws-sdk')).default;
});

/** What aws-sdk v2's AWS.Signers.V2 computes for the same request. */
function v2Signature(params: Record<string, string>, host: string, date: Date, sessionToken?: string): Record<string, string> {
  const request = new AWS.HttpRequest(new AWS.Endpoint(`http://${host}`), 'us-east-1') as InstanceType<AwsV2['HttpRequest']> & { params: Record<string, string> };
  request.method = 'POST';
  request.path = '/?Operation=CreateJob';
  request.params = { ...params };
  const Signer = (AWS as unknown as { Signers: { V2: new (r: unknown, service: string) => { addAuthorization(c: unknown, d: Date): void } } }).Signers.V2;
  new Signer(request, 'importexport').addAuthorization(new AWS.Credentials(KEY_ID, SECRET, sessionToken), date);
  return request.params;
}

describe('SigV2 signer', () => {
  const date = new Date('2026-03-14T15:09:26.535Z');
  const cases: Record<string, string>[] = [
    { Action: 'ListJobs', Version: '2010-06-01' },
    { Action: 'GetStatus', Version: '2010-06-01', JobId: 'ABC12' },
    {
      Action: 'CreateJob',
      Version: '2010-06-01',
      JobType: 'Export',
      ValidateOnly: 'true',
      // Everything RFC 3986 and form encoding disagree on: spaces, plus, tilde, star, quotes, newlines, non-ASCII.
      Manifest: "manifestVersion: 2.0\ntrueCryptPassword: a+b c~d*e!f'g(h)\r\nname: Zoë Ørsted ☃\n",
    },
    { Action: 'GetShippingLabel', Version: '2010-06-01', 'jobIds.member.1': 'ABC12', 'jobIds.member.2': 'DEF34', street1: '1 Main St. #5 & Co' },
  ];

  for (const params of cases) {
    it(`matches aws-sdk v2 for ${params.Action}`, () => {
      const host = '127.0.0.1:8123';
      const theirs = v2Signature(params, host, date);
      const ours = signParams({ method: 'POST', host, path: '/', params }, { accessKeyId: KEY_ID, secretAccessKey: SECRET }, date);
      expect(ours).toEqual(theirs);
      // The v2 SDK sends its params, in its own order and encoding, as the body: ours is byte for byte the same.
      expect(canonicalQuery(ours)).toBe((AWS as unknown as { util: { queryParamsToString(p: object): string } }).util.queryParamsToString(theirs));
    });
  }

  it('matches aws-sdk v2 with a session token (SecurityToken is signed)', () => {
    const params = { Action: 'ListJobs', Version: '2010-06-01' };
    const theirs = v2Signature(params, 'importexport.amazonaws.com', date, 'FwoGZXIvYXdzEXAMPLETOKEN+/=');
    const ours = signParams(
      { method: 'POST', host: 'importexport.amazonaws.com', path: '/', params },
      { accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN+/=' },
      date,
    );
    expect(ours).toEqual(theirs);
  });

  it('signs the lower-cased host and the path without its query string', () => {
    const text = stringToSign({ method: 'post', host: 'ImportExport.AmazonAWS.com', path: '/', params: { B: '2', A: '1 2', Signature: 'x' } });
    expect(text).toBe('POST\nimportexport.amazonaws.com\n/\nA=1%202&B=2');
  });
});

describe('the Import/Export wire protocol against the fake service', () => {
  it("aws-sdk v2's own ImportExport client is accepted by the fake (the fake checks real SigV2)", async () => {
    fx.sandbox.importExport.addJob();
    const client = new AWS.ImportExport({
      endpoint: fx.sandbox.importExport.endpoint,
      region: 'us-east-1',
      credentials: new AWS.Credentials(KEY_ID, SECRET),
      maxRetries: 0,
    });
    const page = await client.listJobs({ MaxJobs: 1 }).promise();
    expect(fx.sandbox.importExport.calls.at(-1)).toMatchObject({ operation: 'ListJobs', url: '/' });
    expect(page.Jobs).toHaveLength(1);
    expect(page.IsTruncated).toBe(false);
  });

  it('our client talks to it, pages ListJobs and parses the XML', async () => {
    for (let i = 0; i < 4; i++) fx.sandbox.importExport.addJob({ created: new Date(Date.UTC(2020, 0, 1 + i)) });
    const client = new ImportExportClient({ endpoint: fx.sandbox.importExport.endpoint, credentials: async () => ({ accessKeyId: KEY_ID, secretAccessKey: SECRET }) });
    const signal = new AbortController().signal;
    const first = await client.listJobs({ MaxJobs: 10 }, signal);
    expect(fx.sandbox.importExport.calls.at(-1)).toMatchObject({ operation: 'ListJobs', url: '/?Operation=ListJobs' });
    expect(first.Jobs).toHaveLength(2); // the fake's page limit
    expect(first.IsTruncated).toBe(true);
    const second = await client.listJobs({ MaxJobs: 10, Marker: first.Jobs[1]!.JobId }, signal);
    expect(second.Jobs.map((j) => j.JobId)).not.toContain(first.Jobs[0]!.JobId);
    const status = await client.getStatus(first.Jobs[0]!.JobId, signal);
    expect(status.ProgressCode).toBe('Pending');
    expect(status.SignatureFileContents).toMatch(/^version:2\.0\nsigningMethod:HmacSHA1\njobId:[1-9A-NP-Z]{5}\nsignature:\S+\n$/);
  });

  it('a wrong secret key is a clear one-line error (SignatureDoesNotMatch), exit 2', async () => {
    const client = new ImportExportClient({ endpoint: fx.sandbox.importExport.endpoint, credentials: async () => ({ accessKeyId: KEY_ID, secretAccessKey: 'not-the-secret' }) });
    const error = await client.listJobs({}, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsiteError);
    expect((error as OffsiteError).message).toBe('listing jobs: the request signature was rejected: check the secret access key (SignatureDoesNotMatch)');
    expect((error as OffsiteError).exitCode).toBe(ExitCode.usage);
  });

  it('an unknown access key and an unknown job are named plainly', async () => {
    const signal = new AbortController().signal;
    const stranger = new ImportExportClient({ endpoint: fx.sandbox.importExport.endpoint, credentials: async () => ({ accessKeyId: 'AKIANOTAREALKEY00000', secretAccessKey: SECRET }) });
    await expect(stranger.listJobs({}, signal)).rejects.toThrow('listing jobs: AWS does not know this access key id (InvalidClientTokenId)');
    const other = new ImportExportClient({ endpoint: fx.sandbox.importExport.endpoint, credentials: async () => ({ accessKeyId: OTHER_KEY_ID, secretAccessKey: 'x' }) });
    await expect(other.getStatus('ZZZZZ', signal)).rejects.toThrow(/SignatureDoesNotMatch/);
    const client = new ImportExportClient({ endpoint: fx.sandbox.importExport.endpoint, credentials: async () => ({ accessKeyId: KEY_ID, secretAccessKey: SECRET }) });
    await expect(client.getStatus('ZZZZZ', signal)).rejects.toThrow('getting the status of job ZZZZZ: no such job in this account (InvalidJobIdException)');
  });

  it('an endpoint nobody listens on is one line, after a retry for reads', async () => {
    const closed = await startLoopbackServer(() => ({ status: 200, headers: {}, body: '' }));
    await closed.stop();
    const port = new URL(closed.endpoint).port;
    const client = new ImportExportClient({ endpoint: closed.endpoint, credentials: async () => ({ accessKeyId: KEY_ID, secretAccessKey: SECRET }) });
    await expect(client.listJobs({}, new AbortController().signal)).rejects.toThrow(`listing jobs: cannot reach 127.0.0.1:${port} (ECONNREFUSED)`);
  });
});
