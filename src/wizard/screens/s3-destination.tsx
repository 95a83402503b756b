import { parseS3Url } from '../../core/s3/url.js';
import { asS3Url } from '../s3-input.js';
import type { AwsChoice, WizardServices } from '../services.js';
import { PathScreen } from './path.js';

/**
 * An S3 place, typed as s3://bucket/prefix or bucket/prefix, checked on Enter: its shape, then (when the services
 * can) that the bucket exists and these credentials reach it in this region.
 */
export function S3DestinationScreen(props: {
  services?: WizardServices;
  aws?: AwsChoice;
  title?: string;
  draftKey?: string;
  onDone: (destination: string) => void;
  onBack: () => void;
}) {
  const services = props.services;
  const check = async (typed: string): Promise<string | undefined> => {
    if (!typed) return 'type the S3 place: s3://bucket/prefix or bucket/prefix';
    const url = asS3Url(typed);
    try {
      parseS3Url(url, 'destination');
    } catch (error) {
      return (error as Error).message;
    }
    return services?.checkBucket?.(url, props.aws);
  };
  return (
    <PathScreen
      title={props.title ?? 'Where in S3?'}
      help="s3://bucket/prefix or bucket/prefix — Enter checks the bucket, Esc goes back"
      placeholder="s3://bucket/prefix"
      draftKey={props.draftKey ?? 's3-destination'}
      check={check}
      onDone={(typed) => props.onDone(asS3Url(typed))}
      onBack={props.onBack}
    />
  );
}
