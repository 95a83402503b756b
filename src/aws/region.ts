import { UsageError } from '../errors.js';

/** us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1, ap-southeast-7 … */
const REGION = /^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-\d{1,2}$/;

/** A region name of the wrong shape is bad input, caught before any network call (exit 2). */
export function checkRegionName(region: string, source: string): string {
  if (!REGION.test(region)) throw new UsageError(`${source} ${JSON.stringify(region).slice(1, -1)}: not an AWS region name (like us-east-1 or eu-west-2)`);
  return region;
}
