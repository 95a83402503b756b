/** The endpoint a failed request went to, attached to the error by `traceEndpoint`. */
export const ENDPOINT_FIELD = '$offsiteEndpoint';

interface Traceable {
  middlewareStack: { add: (middleware: never, options: { step: 'finalizeRequest'; name: string }) => void };
}

/**
 * Remembers on every failed request's error which endpoint answered (or did not), so a region typo or a proxy
 * answering HTML becomes "<endpoint> did not answer as AWS does" instead of an XML parser's complaint.
 */
export function traceEndpoint<T extends Traceable>(client: T): T {
  const middleware = (next: (args: unknown) => Promise<unknown>) => async (args: { request?: { protocol?: string; hostname?: string; port?: number } }) => {
    try {
      return await next(args);
    } catch (error) {
      const request = args.request;
      if (request?.hostname && error && typeof error === 'object') {
        Object.defineProperty(error, ENDPOINT_FIELD, { value: `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`, enumerable: false });
      }
      throw error;
    }
  };
  client.middlewareStack.add(middleware as never, { step: 'finalizeRequest', name: 'offsiteEndpointTrace' });
  return client;
}

export function endpointOf(error: unknown): string | undefined {
  const value = error && typeof error === 'object' ? (error as Record<string, unknown>)[ENDPOINT_FIELD] : undefined;
  return typeof value === 'string' ? value : undefined;
}
