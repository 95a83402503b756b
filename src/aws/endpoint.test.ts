import { describe, expect, it } from 'vitest';
import { isAwsEndpoint, s3Endpoint } from './endpoint.js';

describe('the S3 endpoint override', () => {
  it('tells AWS endpoints from stand-ins', () => {
    expect(isAwsEndpoint('https://s3.eu-west-1.amazonaws.com')).toBe(true);
    expect(isAwsEndpoint('https://s3.cn-north-1.amazonaws.com.cn')).toBe(true);
    expect(isAwsEndpoint('http://127.0.0.1:5000')).toBe(false);
    expect(isAwsEndpoint('https://minio.example.com')).toBe(false);
    expect(isAwsEndpoint('not a url')).toBe(false);
  });

  it('prefers the S3-specific variable, and none means AWS itself', () => {
    expect(s3Endpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_S3: 'https://s3.us-east-1.amazonaws.com' })).toEqual({ endpoint: 'https://s3.us-east-1.amazonaws.com', nonAws: false });
    expect(s3Endpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' })).toEqual({ endpoint: 'http://127.0.0.1:5000', nonAws: true });
    expect(s3Endpoint({})).toEqual({ nonAws: false });
  });
});
