// One GET of a JSON endpoint of the daemon's control socket; loaded by daemon-client.ts only when
// the socket exists, so the short commands that find no daemon never load node:http.

import { request } from 'node:http';

/** @default 5000 */
const REQUEST_TIMEOUT_MS = 5_000;

/** The parsed answer, or undefined when nobody listens on the socket. */
export function getJson<T>(socketPath: string, path: string, options: { readonly isNoDaemon: (error: unknown) => boolean }): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`daemon answered ${String(res.statusCode)} for ${path}: ${text.trim()}`));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (error) {
          reject(new Error(`daemon sent invalid JSON for ${path}`, { cause: error }));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`daemon did not answer ${path} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (options.isNoDaemon(error)) resolve(undefined);
      else reject(error);
    });
    req.end();
  });
}
