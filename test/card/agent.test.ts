/**
 * The card agent over real HTTP on 127.0.0.1, driving real SoftHSM2 cards, playing the
 * web enrollment page: list → generate (PIN) → sign the request (PIN) → submit to a real
 * Tessera HTTPS server → install (PIN). Origin checks, CORS, the per-operation session,
 * the signing policy, wrong PINs, the agent's own PIN counter, a card removed mid-way.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardAgent } from '../../src/client/cardAgent/CardAgent.js';
import { CaClient } from '../../src/client/enroll/CaClient.js';
import { Pkcs11Module } from '../../src/card/pkcs11/Pkcs11Module.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { buildCsr } from '../../src/x509/buildCsr.js';
import { buildCmcRequest, encodePkiData } from '../../src/x509/cmc/buildCmcRequest.js';
import { toPem } from '../../src/x509/pem.js';
import { openssl, tmpDir } from '../support/openssl.js';
import type { TestJson } from '../support/json.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newSoftHsm, SOFTHSM2_MODULE, type SoftHsm } from '../support/softhsm.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { readFileSync } from 'node:fs';

const SITE = 'https://ca.example:8443';
const OTHER_SITE = 'https://other-ca.example';
const PASSWORD = 'correct horse battery';
let hsm: SoftHsm;
let mod: Pkcs11Module;
let agent: CardAgent;
let port = 0;
let ca: TestCa;
let server: TestServer;
const logs: string[] = [];
const serials: Record<string, string> = {};
const work = tmpDir('agent-');

beforeAll(async () => {
  hsm = newSoftHsm('agent-');
  for (const label of ['Alice VSC', 'Throttle VSC', 'Gone VSC'])
    serials[label] = hsm.initToken(label, '12345678', '87654321');
  hsm.useInProcess();
  mod = Pkcs11Module.acquire(SOFTHSM2_MODULE);
  agent = new CardAgent({ module: mod, allowOrigins: [SITE, OTHER_SITE], log: (l) => logs.push(l) });
  port = (await agent.listen(0)).port;
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  await ca.user('alice', { password: PASSWORD });
  server = await startTestServer(ca);
});
afterAll(async () => {
  await agent?.close();
  mod?.release();
  await server?.close();
  await ca?.close();
  hsm?.remove();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: TestJson;
}

function call(
  method: string,
  path: string,
  o: { origin?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          ...(o.origin ? { origin: o.origin } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
const page = (method: string, path: string, body?: unknown) => call(method, path, { origin: SITE, body });

/** pkcs11-tool -O after login: objects with kind, label and ID. */
function objectsOnCard(serial: string) {
  const out = hsm.pkcs11Tool([
    '--token-label',
    Object.keys(serials).find((l) => serials[l] === serial)!,
    '--login',
    '--pin',
    '12345678',
    '-O',
  ]);
  return out.stdout
    .split(/\n(?=\S)/)
    .filter((b) => / Object;/.test(b))
    .map((b) => ({
      kind: b.split(' Object')[0].trim(),
      label: /label:\s+(.*)/.exec(b)?.[1].trim() ?? '',
      id: /ID:\s+([0-9a-f]+)/.exec(b)?.[1] ?? '',
      text: b,
    }));
}

describe('card agent: who may call it', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(port).toBeGreaterThan(0);
    const ss = hsm.run('ss', ['-ltnH', `sport = :${port}`]).stdout;
    expect(ss).toContain(`127.0.0.1:${port}`);
    expect(ss).not.toMatch(new RegExp(`(0\\.0\\.0\\.0|\\*|\\[::\\]):${port}`));
  });

  it('refuses a request without an Origin header, with a clear code and no CORS headers', async () => {
    const r = await call('GET', '/v1/cards');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('CARD_AGENT_ORIGIN_REFUSED');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a foreign Origin, preflight included; the foreign page cannot read the refusal', async () => {
    const get = await call('GET', '/v1/cards', { origin: 'https://evil.example' });
    expect(get.status).toBe(403);
    expect(get.body.code).toBe('CARD_AGENT_ORIGIN_REFUSED');
    expect(get.body.detail).toContain('https://evil.example');
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await call('OPTIONS', '/v1/keys', {
      origin: 'https://evil.example',
      headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const keys = await call('POST', '/v1/keys', {
      origin: 'https://evil.example',
      body: { card: { label: 'Alice VSC' }, pin: '12345678' },
    });
    expect(keys.body.code).toBe('CARD_AGENT_ORIGIN_REFUSED');
    expect(objectsOnCard(serials['Alice VSC']).filter((o) => o.kind === 'Private Key')).toHaveLength(0);
  });

  it("answers the configured origin's CORS preflight (and Chrome Private Network Access)", async () => {
    const pre = await call('OPTIONS', '/v1/keys', {
      origin: SITE,
      headers: {
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
        'access-control-request-private-network': 'true',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(SITE);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toContain('content-type');
    expect(pre.headers['access-control-allow-private-network']).toBe('true');
    expect(pre.headers.vary).toBe('Origin');
  });

  it('refuses a Host other than its loopback address (DNS rebinding)', async () => {
    const r = await call('GET', '/v1/cards', { origin: SITE, headers: { host: `attacker.example:${port}` } });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('CARD_AGENT_ORIGIN_REFUSED');
  });

  it('takes JSON only (no CORS-simple form posts)', async () => {
    const r = await call('POST', '/v1/keys', { origin: SITE, headers: { 'content-type': 'text/plain' } });
    expect(r.body.code).toBe('INPUT_INVALID');
  });
});

describe('card agent: the seed end to end (list → generate → sign → submit → install)', () => {
  const PIN = '12345678';

  async function enrollThroughAgent(format: 'pkcs10' | 'cmc', keyAlg: 'rsa' | 'ec', hash: 'sha1' | 'sha256') {
    const gen = await page('POST', '/v1/keys', {
      card: { label: 'Alice VSC' },
      pin: PIN,
      keyAlg,
      keySize: 2048,
      template: 'SmartcardUser',
    });
    expect(gen.status, JSON.stringify(gen.body)).toBe(201);
    expect(gen.headers['access-control-allow-origin']).toBe(SITE);
    const spki = Buffer.from(gen.body.spki, 'base64');
    const session = gen.body.session as string;
    const reqHash = hash === 'sha1' ? 'SHA-1' : 'SHA-256';
    const signWith = (fmt: 'pkcs10' | 'cmc', content?: Uint8Array) => async (data: Uint8Array) => {
      const r = await page('POST', '/v1/sign', {
        session,
        pin: PIN,
        hash,
        format: fmt,
        data: Buffer.from(data).toString('base64'),
        ...(content ? { content: Buffer.from(content).toString('base64') } : {}),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return new Uint8Array(Buffer.from(r.body.signature, 'base64'));
    };
    const csr = await buildCsr({
      spki,
      keyKind: keyAlg,
      hash: reqHash,
      sign: signWith('pkcs10'),
      template: 'SmartcardUser',
      csp: { keySpec: 1, provider: 'Tessera Card Agent (PKCS#11)' },
    });
    const request =
      format === 'cmc'
        ? await buildCmcRequest({
            csr,
            spki,
            keyKind: keyAlg,
            hash: reqHash,
            sign: signWith('cmc', encodePkiData({ csr })),
          })
        : csr;
    // The page sends the request — never the PIN — to the CA.
    const issued = await new CaClient(server.url, 'alice', PASSWORD, [readFileSync(server.chainFile)]).submit({
      csr: toPem(request, 'CERTIFICATE REQUEST'),
      template: 'SmartcardUser',
    });
    expect(issued.disposition).toBe('issued');
    const inst = await page('POST', '/v1/certificates', {
      session,
      pin: PIN,
      certificate: issued.certificate,
      friendlyName: 'Smartcard Certificate',
    });
    expect(inst.status, JSON.stringify(inst.body)).toBe(201);
    return { gen: gen.body, issued, inst: inst.body };
  }

  it('lists the present cards with label, serial and what they hold', async () => {
    const r = await page('GET', '/v1/cards');
    expect(r.status).toBe(200);
    const alice = r.body.cards.find((c: { label: string }) => c.label === 'Alice VSC');
    expect(alice).toMatchObject({
      serial: serials['Alice VSC'],
      virtual: true,
      pin: { locked: false, changeRequired: false },
      certificates: [],
    });
    const status = await page('GET', '/v1/status');
    expect(status.body).toMatchObject({ agent: 'tessera-card-agent', apiVersion: 1, module: { virtualCards: true } });
  });

  it('PKCS#10 with RSA 2048: the certificate lands on the card next to the key generated there', async () => {
    const t0 = performance.now();
    const { gen, issued, inst } = await enrollThroughAgent('pkcs10', 'rsa', 'sha256');
    console.log(
      `agent PKCS#10 RSA-2048 round trip ${Math.round(performance.now() - t0)} ms (on-card keygen ${gen.generationMs} ms)`,
    );
    expect(inst).toMatchObject({
      card: { label: 'Alice VSC', serial: serials['Alice VSC'] },
      label: 'Smartcard Certificate',
      alreadyPresent: false,
    });
    const f = join(work, 'agent-rsa.pem');
    writeFileSync(f, issued.certificate!);
    expect(openssl(['verify', '-CAfile', server.chainFile, f]).stdout).toContain(': OK');
    const objs = objectsOnCard(serials['Alice VSC']);
    const cert = objs.find((o) => o.kind === 'Certificate' && o.id === gen.keyId);
    expect(cert?.label).toBe('Smartcard Certificate');
    const priv = objs.find((o) => o.kind === 'Private Key' && o.id === gen.keyId);
    expect(priv?.text).toMatch(/never extractable, local/);
    const ski = openssl(['x509', '-in', f, '-noout', '-ext', 'subjectKeyIdentifier']).stdout;
    expect(
      ski
        .replace(/[^0-9A-F]/g, '')
        .toLowerCase()
        .endsWith(gen.keyId),
    ).toBe(true);
  });

  it("CMC with SHA-1 (the seed's options) and CMC with ECDSA P-256", async () => {
    const a = await enrollThroughAgent('cmc', 'rsa', 'sha1');
    expect(a.inst.label).toBe('Smartcard Certificate');
    const b = await enrollThroughAgent('cmc', 'ec', 'sha256');
    expect(b.gen.key).toBe('ECDSA P-256');
    const ids = objectsOnCard(serials['Alice VSC'])
      .filter((o) => o.kind === 'Certificate')
      .map((o) => o.id);
    expect(ids).toEqual(expect.arrayContaining([a.gen.keyId, b.gen.keyId]));
    const card = (await page('GET', '/v1/cards')).body.cards.find((c: { label: string }) => c.label === 'Alice VSC');
    expect(card.certificates).toHaveLength(3);
  });

  it('lists each public key with the SHA-256 of its public key and whether a certificate on the card belongs to it (no PIN)', async () => {
    const spare = await page('POST', '/v1/keys', { card: { serial: serials['Alice VSC'] }, pin: PIN, keyAlg: 'ec' });
    const card = (await page('GET', '/v1/cards')).body.cards.find((c: { label: string }) => c.label === 'Alice VSC');
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    // The key of a generate that got no certificate: no certificate belongs to it.
    expect(card.keys.find((k: { id: string }) => k.id === spare.body.keyId)).toEqual({
      id: spare.body.keyId,
      label: spare.body.container,
      key: 'EC P-256',
      spkiSha256: sha(Buffer.from(spare.body.spki, 'base64')),
      certificate: false,
    });
    // Each installed certificate: its fingerprint (judged on the DER pkcs11-tool reads) and its key marked as certified.
    for (const c of card.certificates as { id: string; sha256: string }[]) {
      const f = join(work, `on-card-${c.id}.der`);
      expect(
        hsm.pkcs11Tool([
          '--token-label',
          'Alice VSC',
          '--read-object',
          '--type',
          'cert',
          '--id',
          c.id,
          '--output-file',
          f,
        ]).status,
      ).toBe(0);
      expect(c.sha256).toBe(sha(readFileSync(f)));
      expect(card.keys.find((k: { id: string }) => k.id === c.id)).toMatchObject({ certificate: true });
    }
    expect((await page('POST', `/v1/sessions/${spare.body.session}/cancel`, { pin: PIN })).body).toMatchObject({
      objectsRemoved: 2,
    });
  });

  it('signs only a request for the key of the same operation, and only for the page that started it', async () => {
    const gen = await page('POST', '/v1/keys', { card: { serial: serials['Alice VSC'] }, pin: PIN, keyAlg: 'ec' });
    const other = await page('POST', '/v1/keys', { card: { serial: serials['Alice VSC'] }, pin: PIN, keyAlg: 'ec' });
    // A CertificationRequestInfo for the other operation's key.
    let captured: Uint8Array | undefined;
    await buildCsr({
      spki: Buffer.from(other.body.spki, 'base64'),
      keyKind: 'ec',
      hash: 'SHA-256',
      sign: async (d) => {
        captured = d;
        return new Uint8Array(64);
      },
    });
    const wrongKey = await page('POST', '/v1/sign', {
      session: gen.body.session,
      pin: PIN,
      hash: 'sha256',
      format: 'pkcs10',
      data: Buffer.from(captured!).toString('base64'),
    });
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body.code).toBe('CARD_AGENT_REQUEST_REFUSED');
    const arbitrary = await page('POST', '/v1/sign', {
      session: gen.body.session,
      pin: PIN,
      hash: 'sha256',
      format: 'pkcs10',
      data: Buffer.from('log me in as alice').toString('base64'),
    });
    expect(arbitrary.body.code).toBe('CARD_AGENT_REQUEST_REFUSED');
    const foreignPage = await call('POST', '/v1/sign', {
      origin: OTHER_SITE,
      body: { session: gen.body.session, pin: PIN, hash: 'sha256', data: Buffer.from(captured!).toString('base64') },
    });
    expect(foreignPage.body.code).toBe('CARD_AGENT_SESSION_UNKNOWN');
    // Cancelling removes the unused keys from the card.
    for (const g of [gen, other]) {
      const c = await page('POST', `/v1/sessions/${g.body.session}/cancel`, { pin: PIN });
      expect(c.body).toMatchObject({ cancelled: true, objectsRemoved: 2 });
      expect(objectsOnCard(serials['Alice VSC']).some((o) => o.id === g.body.keyId)).toBe(false);
    }
  });
});

describe('card agent: errors the page shows', () => {
  it('no card present: 404 CARD_NOT_FOUND ("insert the smart card")', async () => {
    const r = await page('POST', '/v1/keys', { card: { label: 'Bob VSC' }, pin: '12345678' });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('CARD_NOT_FOUND');
    expect(r.body.title).toContain('Insert the smart card');
  });

  it('wrong PIN: CARD_PIN_INCORRECT naming the card; after 5 in a row the agent stops passing PINs for that card', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await page('POST', '/v1/keys', { card: { label: 'Throttle VSC' }, pin: `0000000${i}` });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('CARD_PIN_INCORRECT');
      expect(r.body.card).toEqual({ label: 'Throttle VSC', serial: serials['Throttle VSC'] });
      expect(r.body.detail).toContain('SoftHSM2 virtual cards keep no retry limit');
    }
    const blocked = await page('POST', '/v1/keys', { card: { label: 'Throttle VSC' }, pin: '12345678' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('CARD_AGENT_PIN_THROTTLED');
    // The card itself is not locked (SoftHSM2 has no lockout): the PIN still works outside the agent.
    expect(hsm.pkcs11Tool(['--token-label', 'Throttle VSC', '--login', '--pin', '12345678', '-O']).status).toBe(0);
    // A new agent process starts with no count.
    const fresh = new CardAgent({ module: mod, allowOrigins: [SITE] });
    try {
      const p = (await fresh.listen(0)).port;
      const r = await new Promise<number>((resolve) => {
        const req = request(
          { host: '127.0.0.1', port: p, method: 'GET', path: '/v1/cards', headers: { origin: SITE } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.end();
      });
      expect(r).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('an empty PIN is a cancel, not a wrong PIN', async () => {
    const r = await page('POST', '/v1/keys', { card: { label: 'Alice VSC' }, pin: '' });
    expect(r.body.code).toBe('CARD_CANCELLED');
  });

  it('the card removed between generate and sign: CARD_REMOVED naming the card', async () => {
    const gen = await page('POST', '/v1/keys', { card: { label: 'Gone VSC' }, pin: '12345678', keyAlg: 'ec' });
    expect(gen.status).toBe(201);
    hsm.deleteToken(serials['Gone VSC']);
    let captured: Uint8Array | undefined;
    await buildCsr({
      spki: Buffer.from(gen.body.spki, 'base64'),
      keyKind: 'ec',
      hash: 'SHA-256',
      sign: async (d) => {
        captured = d;
        return new Uint8Array(64);
      },
    });
    const r = await page('POST', '/v1/sign', {
      session: gen.body.session,
      pin: '12345678',
      hash: 'sha256',
      data: Buffer.from(captured!).toString('base64'),
    });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('CARD_REMOVED');
    expect(r.body.card).toEqual({ label: 'Gone VSC', serial: serials['Gone VSC'] });
    const cards = await page('GET', '/v1/cards');
    expect(cards.body.cards.map((c: { label: string }) => c.label)).not.toContain('Gone VSC');
  });

  it('two cards with the same label: CARD_AMBIGUOUS names both; the serial picks one', async () => {
    const s1 = hsm.initToken('Twin VSC', '12345678', '87654321');
    const s2 = hsm.initToken('Twin VSC', '12345678', '87654321');
    const r = await page('POST', '/v1/keys', { card: { label: 'Twin VSC' }, pin: '12345678' });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('CARD_AMBIGUOUS');
    expect(r.body.detail).toContain(s1);
    expect(r.body.detail).toContain(s2);
    const one = await page('POST', '/v1/keys', { card: { serial: s2 }, pin: '12345678', keyAlg: 'ec' });
    expect(one.status).toBe(201);
    expect(one.body.card.serial).toBe(s2);
  });

  it('never logs a PIN', () => {
    expect(logs.length).toBeGreaterThan(10);
    for (const l of logs) {
      expect(l).not.toContain('12345678');
      expect(l).not.toMatch(/0000000\d/);
    }
  });
});

describe('`tessera card-agent` as its own process', () => {
  it('starts on 127.0.0.1, serves the allowed origin, refuses others, and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { dirname, join: pjoin } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const root = pjoin(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        pjoin(root, 'test', 'card', 'helpers', 'tessera-cli.ts'),
        '--json',
        'card-agent',
        '--port',
        '0',
        '--allow-origin',
        SITE,
      ],
      { env: hsm.env, cwd: root },
    );
    try {
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (err += c));
      for (let i = 0; i < 100 && !out.includes('}'); i++) await new Promise((r) => setTimeout(r, 100));
      const info = JSON.parse(out);
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.origins).toEqual([SITE]);
      const get = (origin: string) =>
        new Promise<{ status: number; body: TestJson }>((resolve) => {
          const req = request({ host: '127.0.0.1', port: info.port, path: '/v1/cards', headers: { origin } }, (res) => {
            let t = '';
            res.on('data', (c) => (t += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(t) }));
          });
          req.end();
        });
      const ok = await get(SITE);
      expect(ok.status).toBe(200);
      expect(ok.body.cards.map((c: { label: string }) => c.label)).toContain('Alice VSC');
      const refused = await get('https://evil.example');
      expect(refused.body.code).toBe('CARD_AGENT_ORIGIN_REFUSED');
      for (let i = 0; i < 50 && !err.includes('403'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(err).toContain('GET /v1/cards 403 CARD_AGENT_ORIGIN_REFUSED origin=https://evil.example');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(child.exitCode).toBe(0);
  });

  it('refuses to start without --allow-origin', async () => {
    const { tessera } = await import('./helpers/cli.js');
    const r = await tessera(['--json', 'card-agent', '--port', '0'], { env: hsm.env });
    expect(r.error?.code).toBe('INPUT_INVALID');
    expect(r.error?.detail).toContain('--allow-origin');
  });
});
