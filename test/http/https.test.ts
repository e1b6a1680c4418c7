/**
 * Over real sockets: the HTTPS listener with a TLS client that trusts only Tessera's
 * root, client-certificate (mTLS) authentication mapped to the account the certificate
 * was issued to, and the plain-HTTP listener that serves /pki and redirects the rest.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup } from '../../src/ra/admin/groups.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { revoke } from '../../src/ra/revoke.js';
import { submit } from '../../src/ra/submit.js';
import { toPem } from '../../src/x509/pem.js';
import { opensslCsr } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { PASSWORD } from '../support/app.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(
  url: string,
  o: {
    ca?: string;
    cert?: string;
    key?: string;
    auth?: string;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Res> {
  const u = new URL(url);
  const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = fn(
      u,
      {
        method: o.method ?? 'GET',
        ca: o.ca,
        cert: o.cert,
        key: o.key,
        auth: o.auth,
        headers: o.headers,
        agent: false,
      } as never,
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    if (o.body) req.write(o.body);
    req.end();
  });
}

let ca: TestCa;
let server: TestServer;
let root: string;

beforeAll(async () => {
  ca = await newTestCa();
  await createGroup(ca.t, LOCAL, 'Smartcard Users');
  await ca.user('alice', { groups: ['Smartcard Users'] });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Smartcard Users', true);
  server = await startTestServer(ca, { http: true });
  root = readFileSync(server.rootFile, 'utf8');
});
afterAll(async () => {
  await server?.close();
  await ca?.close();
});

describe('HTTPS listener', () => {
  it('is trusted by a client that trusts only the generated root', async () => {
    const res = await get(`${server.url}/api/v1/ca`, { ca: root });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString()).chain).toHaveLength(2);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('is refused by a client that does not trust the root', async () => {
    await expect(get(`${server.url}/api/v1/ca`)).rejects.toThrow(/self.signed|unable to (get|verify)/i);
  });

  it('enrolls over HTTPS with Basic credentials', async () => {
    const { csr } = opensslCsr('P-256');
    const res = await get(`${server.url}/api/v1/requests`, {
      ca: root,
      method: 'POST',
      auth: `alice:${PASSWORD}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ csr, template: 'SmartcardUser' }),
    });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body.toString()).disposition).toBe('issued');
  });

  it('authenticates a client certificate Tessera issued, and stops when it is revoked', async () => {
    const alice = (await ca.t.directory.findUser('alice'))!;
    const { csr, key } = opensslCsr('P-256');
    const r = await submit(ca.t, { request: csr, template: 'SmartcardUser', requester: alice, source: 'test' });
    const cert = toPem(r.certificate!, 'CERTIFICATE');
    const me = await get(`${server.url}/api/v1/me`, { ca: root, cert, key });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body.toString())).toMatchObject({ username: 'alice', authenticatedBy: 'certificate' });
    await revoke(ca.t, LOCAL, r.serial!, 'keyCompromise');
    // A new connection (agent: false) maps the certificate again and finds it revoked.
    const after = await get(`${server.url}/api/v1/me`, { ca: root, cert, key });
    expect(after.status).toBe(401);
  });

  it('ignores a client certificate from another CA', async () => {
    const { execFileSync } = await import('node:child_process');
    const { tmpDir } = await import('../support/openssl.js');
    const dir = tmpDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${dir}/k.pem`,
        '-out',
        `${dir}/c.pem`,
        '-subj',
        '/CN=alice',
        '-addext',
        'extendedKeyUsage=clientAuth',
        '-days',
        '1',
      ],
      { stdio: 'pipe' },
    );
    const res = await get(`${server.url}/api/v1/me`, {
      ca: root,
      cert: readFileSync(`${dir}/c.pem`, 'utf8'),
      key: readFileSync(`${dir}/k.pem`, 'utf8'),
    });
    expect(res.status).toBe(401);
  });
});

describe('plain-HTTP listener', () => {
  it('serves CA certificates under /pki over plain HTTP', async () => {
    const res = await get(`${server.httpUrl}/pki/issuing.cer`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pkix-cert');
    expect(res.body.equals(ca.t.chain()[0])).toBe(true);
  });

  it('redirects everything else to the configured HTTPS site, without a form or a cookie, whatever the Host header says', async () => {
    const res = await get(`${server.httpUrl}/certsrv/certfnsh.asp?x=1`, { headers: { host: 'evil.example' } });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`${ca.t.config.siteUrl}/certsrv/certfnsh.asp?x=1`);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body.toString()).not.toMatch(/<form/i);
  });
});
