/**
 * Helpers for the sign-in listener suites: Tessera's own /pki and /ocsp routes on the
 * real HTTP listener the certificates point at (publicUrl), with a switch that takes
 * the OCSP responder or the CRL distribution point down; certificates issued by Tessera
 * for keys held by the test; and an HTTPS client that presents them.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { request } from 'node:https';
import Fastify from 'fastify';
import type { DirectoryUser } from '../../../src/directory/Directory.js';
import ocspRoutes from '../../../src/entry/http/ocsp/ocspRoutes.js';
import pkiRoutes from '../../../src/entry/http/pki/pkiRoutes.js';
import { submit } from '../../../src/ra/submit.js';
import type { Tessera } from '../../../src/Tessera.js';
import { toPem } from '../../../src/x509/pem.js';
import { craftCsr } from '../../support/craftCsr.js';
import type { TestJson } from '../../support/json.js';

export interface Faults {
  ocsp: 'up' | 'down';
  crl: 'up' | 'down';
}

/** pkiRoutes + ocspRoutes on 127.0.0.1:`port`; a service that is "down" drops the connection. */
export async function revocationListener(
  t: Tessera,
  port: number,
  faults: Faults,
): Promise<{ close(): Promise<void>; hits: string[] }> {
  const app = Fastify({ logger: false });
  const hits: string[] = [];
  app.addHook('onRequest', async (req, reply) => {
    hits.push(`${req.method} ${req.url}`);
    const ocsp = req.url.startsWith('/ocsp');
    if ((ocsp && faults.ocsp === 'down') || (!ocsp && faults.crl === 'down')) {
      reply.hijack();
      req.raw.socket.destroy();
    }
  });
  await app.register(pkiRoutes, { tessera: t });
  await app.register(ocspRoutes, { tessera: t });
  await app.listen({ host: '127.0.0.1', port });
  return { close: () => app.close(), hits };
}

export interface Holder {
  readonly der: Buffer;
  readonly key: KeyObject;
  readonly serial: string;
}

/** A certificate from Tessera's issuing CA through the normal submit path, for a key the test holds. */
export async function issue(
  t: Tessera,
  user: DirectoryUser,
  template = 'SmartcardUser',
  kind: 'ec' | 'rsa' = 'ec',
): Promise<Holder> {
  const kp =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const r = await submit(t, {
    request: craftCsr({ key: kp.privateKey }),
    template,
    requester: user,
    source: '127.0.0.1',
  });
  if (r.disposition !== 'issued') throw new Error(`not issued: ${r.disposition} ${r.code} ${r.message}`);
  return { der: r.certificate!, key: kp.privateKey, serial: r.serial! };
}

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: TestJson;
  /** The session cookie the answer set, as "name=value". */
  readonly cookie: string | undefined;
}

/** GET over TLS presenting `chain` with `key` (or no certificate). A fresh connection every time (no session reuse). */
export function tlsGet(
  url: string,
  o: { ca: string; key?: KeyObject; chain?: readonly Buffer[]; accept?: string; cookie?: string },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: o.ca,
        agent: false,
        ...(o.key && o.chain
          ? {
              key: o.key.export({ format: 'pem', type: 'pkcs8' }) as string,
              cert: o.chain.map((c) => toPem(c, 'CERTIFICATE')).join(''),
            }
          : {}),
        headers: { accept: o.accept ?? 'application/json', ...(o.cookie ? { cookie: o.cookie } : {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          const set = ([] as string[])
            .concat(res.headers['set-cookie'] ?? [])
            .find((c) => c.startsWith('tessera_session='));
          resolve({ status: res.statusCode!, headers: res.headers, body, json, cookie: set?.split(';')[0] });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A clock the test moves; the validator reads it. */
export class Clock {
  offsetMs = 0;
  readonly now = () => new Date(Date.now() + this.offsetMs);
}
