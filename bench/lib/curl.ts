import { runCommand } from './processes.js';

/** One transfer measured by curl's own timers. */
export interface Transfer {
  status: number;
  /** curl's `time_total`, in seconds. */
  seconds: number;
  bytes: number;
  body: string;
}

const WRITE_OUT = '\n%{http_code} %{time_total} %{size_upload} %{size_download}';

async function curl(args: string[]): Promise<Transfer> {
  const result = await runCommand('curl', ['-sS', '-w', WRITE_OUT, ...args], {
    timeoutMs: 600_000,
  });
  const lines = result.stdout.trimEnd().split('\n');
  const [status, seconds, uploaded, downloaded] = (lines.pop() ?? '').split(' ').map(Number);
  return {
    status: status ?? 0,
    seconds: seconds ?? 0,
    bytes: Math.max(uploaded ?? 0, downloaded ?? 0),
    body: lines.join('\n'),
  };
}

function expectStatus(transfer: Transfer, expected: number[], what: string): Transfer {
  if (!expected.includes(transfer.status)) {
    throw new Error(`${what} returned HTTP ${transfer.status}: ${transfer.body.slice(0, 300)}`);
  }
  return transfer;
}

/**
 * Streams a file as the request body with `method` (`--upload-file` reads it while sending,
 * where `--data-binary @file` would load it whole first). `Expect: 100-continue` is switched off so no
 * target pays curl's one-second wait for a server that does not send 100 Continue.
 */
export async function curlUpload(
  url: string,
  file: string,
  options: { method?: string; headers?: string[]; expected?: number[] } = {},
): Promise<Transfer> {
  const headers = ['Expect:', 'Content-Type: application/octet-stream', ...(options.headers ?? [])];
  const transfer = await curl([
    '-X',
    options.method ?? 'PUT',
    ...headers.flatMap((header) => ['-H', header]),
    '--upload-file',
    file,
    url,
  ]);
  return expectStatus(transfer, options.expected ?? [200, 201, 204], `upload to ${url}`);
}

/** Downloads `url` to /dev/null. */
export async function curlDownload(url: string): Promise<Transfer> {
  const transfer = await curl(['-o', '/dev/null', url]);
  return expectStatus(transfer, [200], `download of ${url}`);
}
