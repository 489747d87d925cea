import { type Dispatcher, request } from 'undici';

/** Sends a JSON request and returns the parsed body; rejects on an unexpected status. */
export async function jsonRequest<T>(
  url: string,
  options: { method?: Dispatcher.HttpMethod; body?: unknown; dispatcher?: Dispatcher } = {},
  expected: number[] = [200, 201],
): Promise<T> {
  const response = await request(url, {
    method: options.method ?? 'GET',
    dispatcher: options.dispatcher,
    headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.body.text();
  if (!expected.includes(response.statusCode)) {
    throw new Error(
      `${options.method ?? 'GET'} ${url} returned HTTP ${response.statusCode}: ${text.slice(0, 300)}`,
    );
  }
  return JSON.parse(text) as T;
}

/** Creates an open package on the product server and returns its id. */
export async function createPackage(
  serverUrl: string,
  name: string,
  dispatcher?: Dispatcher,
): Promise<string> {
  const created = await jsonRequest<{ id: string }>(`${serverUrl}/v1/packages`, {
    method: 'POST',
    body: { name, producer: 'bench', subject: name },
    dispatcher,
  });
  return created.id;
}

/** Finalizes a package on the product server. */
export async function finalizePackage(serverUrl: string, packageId: string): Promise<void> {
  await jsonRequest(`${serverUrl}/v1/packages/${packageId}/finalize`, { method: 'POST' });
}
