import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort, spawnTracked, stopProcess, waitFor } from '../lib/processes.js';

/** A running nginx with its own config, serving static files. */
export interface NginxServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function configText(prefix: string, root: string, port: number): string {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, name)};`;
  return `
user root;
worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
}

/**
 * Starts `nginx -c CONF -p PREFIX` in the foreground (not the system service) with one worker,
 * serving `root` on a free 127.0.0.1 port. `user root` lets the worker read files in 0700 temp
 * directories.
 */
export async function startNginx(prefix: string, root: string): Promise<NginxServer> {
  mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  const config = join(prefix, 'nginx.conf');
  writeFileSync(config, configText(prefix, root, port));
  const child = spawnTracked('nginx', ['-c', config, '-p', prefix], { cwd: prefix });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('nginx to answer', async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    try {
      const response = await request(`${url}/`);
      await response.body.dump();
      return true;
    } catch {
      return false;
    }
  });
  return { url, pid: child.pid!, stop: () => stopProcess(child) };
}
