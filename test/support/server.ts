/**
 * A real Tessera HTTPS server (and optionally the plain-HTTP listener) for a TestCa, on
 * 127.0.0.1 and ephemeral ports. Clients must trust `rootFile` / `chainFile`; the TLS
 * certificate is for "localhost".
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServeOptions } from '../../src/entry/http/startServer.js';
import { toPem } from '../../src/x509/pem.js';
import { tmpDir } from './openssl.js';
import { freePort } from './ports.js';
import type { TestCa } from './tessera.js';

export interface TestServer {
  /** https://localhost:<port> */
  readonly url: string;
  /** http://localhost:<port> when `http: true` */
  readonly httpUrl: string | undefined;
  /** PEM files: the root alone, and the whole chain. */
  readonly rootFile: string;
  readonly chainFile: string;
  readonly rootPem: string;
  readonly server: RunningServer;
  close(): Promise<void>;
}

export async function startTestServer(
  ca: TestCa,
  o: { http?: boolean } & Partial<ServeOptions> = {},
): Promise<TestServer> {
  const httpPort = o.http ? await freePort() : 0;
  const server = await startServer(ca.t, {
    host: '127.0.0.1',
    port: 0,
    httpPort,
    logger: false,
    closeTessera: false,
    ...o,
  });
  const chain = ca.t.chain();
  const dir = tmpDir('server-');
  const rootPem = toPem(chain[chain.length - 1], 'CERTIFICATE');
  const rootFile = join(dir, 'root.pem');
  const chainFile = join(dir, 'chain.pem');
  writeFileSync(rootFile, rootPem);
  writeFileSync(chainFile, chain.map((c) => toPem(c, 'CERTIFICATE')).join(''));
  const port = (server.https.server.address() as { port: number }).port;
  return {
    url: `https://localhost:${port}`,
    httpUrl: o.http ? `http://localhost:${httpPort}` : undefined,
    rootFile,
    chainFile,
    rootPem,
    server,
    close: () => server.close(),
  };
}
