/**
 * Every route of the card agent through Fastify's inject (no socket between the test and
 * the app), over a real SoftHSM2 card: the status and card list, generate → sign → install
 * → cancel, and the HTTP contract around them — problem+json documents from the shared
 * mapping (src/entry/http/problemDocument.ts) with the card and PIN members, CORS only
 * for the configured origin, the preflight, the Host check, JSON-only bodies, the size
 * limit, unknown routes, and one log line per request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardAgent } from '../../src/client/cardAgent/CardAgent.js';
import { Pkcs11Module } from '../../src/card/pkcs11/Pkcs11Module.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { submit } from '../../src/ra/submit.js';
import { buildCsr } from '../../src/x509/buildCsr.js';
import { newSoftHsm, SOFTHSM2_MODULE, type SoftHsm } from '../support/softhsm.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

const SITE = 'https://ca.example:8443';
const PIN = '12345678';
let hsm: SoftHsm;
let mod: Pkcs11Module;
let agent: CardAgent;
let host = '';
let serial = '';
let ca: TestCa;
const logs: string[] = [];

beforeAll(async () => {
  hsm = newSoftHsm('agent-inject-');
  serial = hsm.initToken('Inject VSC', PIN, '87654321');
  hsm.useInProcess();
  mod = Pkcs11Module.acquire(SOFTHSM2_MODULE);
  agent = new CardAgent({ module: mod, allowOrigins: [SITE], log: (l) => logs.push(l) });
  host = `127.0.0.1:${(await agent.listen(0)).port}`;
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  await ca.user('alice');
});
afterAll(async () => {
  await agent?.close();
  mod?.release();
  await ca?.close();
  hsm?.remove();
});

interface Call {
  readonly origin?: string | null;
  readonly body?: unknown;
  readonly payload?: string;
  readonly headers?: Record<string, string>;
}

async function inject(method: 'GET' | 'POST' | 'OPTIONS' | 'HEAD', url: string, c: Call = {}) {
  const origin = c.origin === undefined ? SITE : c.origin;
  const payload = c.payload ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  const r = await agent.app.inject({
    method,
    url,
    headers: {
      host,
      ...(origin ? { origin } : {}),
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...c.headers,
    },
    ...(payload !== undefined ? { payload } : {}),
  });
  return {
    status: r.statusCode,
    headers: r.headers,
    body: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : undefined,
  };
}

/** What every problem document of the agent carries. */
function expectProblem(r: Awaited<ReturnType<typeof inject>>, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(r.headers['cache-control']).toBe('no-store');
  expect(r.body).toMatchObject({ type: `urn:tessera:error:${code}`, status, code });
  expect(r.body!.hresult).toMatch(/^0x[0-9a-f]{8} \(-?\d+ [A-Z_0-9]+\)$/);
  expect(typeof r.body!.title).toBe('string');
  expect(typeof r.body!.detail).toBe('string');
}

describe('card agent routes (inject)', () => {
  it('GET /v1/status: who answers, for the configured origin only, never cached', async () => {
    const r = await inject('GET', '/v1/status');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(SITE);
    expect(r.headers.vary).toBe('Origin');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
    expect(r.body).toMatchObject({ agent: 'tessera-card-agent', apiVersion: 1, module: { virtualCards: true } });
  });

  it('GET /v1/cards: the present card, no PIN needed', async () => {
    const r = await inject('GET', '/v1/cards');
    expect(r.status).toBe(200);
    expect(r.body!.cards).toEqual([
      expect.objectContaining({ label: 'Inject VSC', serial, virtual: true, certificates: [] }),
    ]);
  });

  it('POST /v1/keys, /v1/sign, /v1/certificates, /v1/sessions/:id/cancel: a key made, a request signed, issued, installed', async () => {
    const gen = await inject('POST', '/v1/keys', {
      body: { card: { serial }, pin: PIN, keyAlg: 'ec', template: 'SmartcardUser' },
    });
    expect(gen.status, JSON.stringify(gen.body)).toBe(201);
    expect(gen.body).toMatchObject({ card: { label: 'Inject VSC', serial }, key: 'ECDSA P-256', keyKind: 'ec' });
    const spki = Buffer.from(gen.body!.spki as string, 'base64');
    const csr = await buildCsr({
      spki,
      keyKind: 'ec',
      hash: 'SHA-256',
      template: 'SmartcardUser',
      csp: { keySpec: 1, provider: 'Tessera Card Agent (PKCS#11)' },
      sign: async (data) => {
        const s = await inject('POST', '/v1/sign', {
          body: {
            session: gen.body!.session,
            pin: PIN,
            hash: 'sha256',
            format: 'pkcs10',
            data: Buffer.from(data).toString('base64'),
          },
        });
        expect(s.status, JSON.stringify(s.body)).toBe(200);
        return new Uint8Array(Buffer.from(s.body!.signature as string, 'base64'));
      },
    });
    const alice = (await ca.t.directory.findUser('alice'))!;
    const issued = await submit(ca.t, { request: Buffer.from(csr), requester: alice, source: 'test' });
    expect(issued.disposition, `${issued.code} ${issued.message}`).toBe('issued');
    const certificate = issued.certificate!.toString('base64');
    const inst = await inject('POST', '/v1/certificates', {
      body: { session: gen.body!.session, pin: PIN, certificate },
    });
    expect(inst.status, JSON.stringify(inst.body)).toBe(201);
    expect(inst.body).toMatchObject({
      card: { label: 'Inject VSC', serial },
      id: gen.body!.keyId,
      alreadyPresent: false,
    });
    const again = await inject('POST', '/v1/certificates', { body: { card: { serial }, pin: PIN, certificate } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyPresent: true });
    // The installed key stays; an operation that got no certificate loses its key.
    const kept = await inject('POST', `/v1/sessions/${gen.body!.session}/cancel`, { body: { pin: PIN } });
    expect(kept.body).toEqual({ cancelled: true, objectsRemoved: 0 });
    const spare = await inject('POST', '/v1/keys', { body: { card: { serial }, pin: PIN, keyAlg: 'ec' } });
    const gone = await inject('POST', `/v1/sessions/${spare.body!.session}/cancel`, { body: { pin: PIN } });
    expect(gone.body).toEqual({ cancelled: true, objectsRemoved: 2 });
    const cards = (await inject('GET', '/v1/cards')).body!.cards as {
      certificates: unknown[];
      keys: { id: string }[];
    }[];
    expect(cards[0].certificates).toHaveLength(1);
    expect(cards[0].keys.map((k) => k.id)).toEqual([gen.body!.keyId]);
  });

  it('card failures: the registry status and code, the card named, the PIN never echoed', async () => {
    const wrong = await inject('POST', '/v1/keys', { body: { card: { serial }, pin: '00000000', keyAlg: 'ec' } });
    expectProblem(wrong, 403, 'CARD_PIN_INCORRECT');
    expect(wrong.body!.card).toEqual({ label: 'Inject VSC', serial });
    expect(JSON.stringify(wrong.body)).not.toContain('00000000');
    const absent = await inject('POST', '/v1/keys', { body: { card: { label: 'Nobody VSC' }, pin: PIN } });
    expectProblem(absent, 404, 'CARD_NOT_FOUND');
    expect(absent.headers['access-control-allow-origin']).toBe(SITE);
    const unknown = await inject('POST', '/v1/sign', { body: { session: 'nope', pin: PIN, data: 'AA==' } });
    expectProblem(unknown, 404, 'CARD_AGENT_SESSION_UNKNOWN');
  });
});

describe('card agent HTTP contract (inject)', () => {
  it('a missing or foreign Origin: 403 CARD_AGENT_ORIGIN_REFUSED with no CORS headers, preflight included', async () => {
    for (const origin of [null, 'https://evil.example']) {
      const r = await inject('GET', '/v1/cards', { origin });
      expectProblem(r, 403, 'CARD_AGENT_ORIGIN_REFUSED');
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await inject('OPTIONS', '/v1/keys', { origin, headers: { 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(403);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it("the configured origin's preflight: 204 with methods, headers, max-age and Private Network Access", async () => {
    const pre = await inject('OPTIONS', '/v1/keys', {
      headers: { 'access-control-request-method': 'POST', 'access-control-request-private-network': 'true' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({
      'access-control-allow-origin': SITE,
      vary: 'Origin',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
      'access-control-allow-private-network': 'true',
    });
    const plain = await inject('OPTIONS', '/v1/cards');
    expect(plain.status).toBe(204);
    expect(plain.headers['access-control-allow-private-network']).toBeUndefined();
  });

  it('a Host other than the loopback address it listens on: refused (DNS rebinding)', async () => {
    for (const h of ['attacker.example', `attacker.example:${host.split(':')[1]}`, '127.0.0.1:1']) {
      expectProblem(await inject('GET', '/v1/status', { headers: { host: h } }), 403, 'CARD_AGENT_ORIGIN_REFUSED');
    }
    expect(
      (await inject('GET', '/v1/status', { headers: { host: host.replace('127.0.0.1', 'localhost') } })).status,
    ).toBe(200);
  });

  it('bodies: application/json objects only, at most 64 KiB', async () => {
    const notJson = await inject('POST', '/v1/keys', { payload: '{}', headers: { 'content-type': 'text/plain' } });
    expectProblem(notJson, 400, 'INPUT_INVALID');
    expect(notJson.body!.detail).toBe('send application/json');
    expectProblem(await inject('POST', '/v1/keys'), 400, 'INPUT_INVALID');
    for (const payload of ['', '[1]', 'null', '{"a":']) {
      const r = await inject('POST', '/v1/keys', { payload });
      expectProblem(r, 400, 'INPUT_INVALID');
      expect(r.body!.detail).toBe('the body is not a JSON object');
    }
    const big = await inject('POST', '/v1/keys', { payload: JSON.stringify({ pad: 'x'.repeat(70_000) }) });
    expectProblem(big, 413, 'REQUEST_TOO_LARGE');
    expect(big.body!.detail).toBe('more than 65536 bytes');
  });

  it('anything else: 404 NOT_FOUND, with CORS for the configured origin', async () => {
    for (const [method, url] of [
      ['GET', '/v1/keys'],
      ['POST', '/v1/status'],
      ['HEAD', '/v1/status'],
      ['GET', '/'],
      ['POST', '/v1/sessions/a.b/cancel'],
    ] as const) {
      const r = await inject(method, url, method === 'POST' ? { body: {} } : {});
      expect(r.status, `${method} ${url}`).toBe(404);
      expect(r.headers['access-control-allow-origin']).toBe(SITE);
      if (method !== 'HEAD') expect(r.body).toMatchObject({ code: 'NOT_FOUND', detail: `${method} ${url}` });
    }
  });

  it('one log line per request: method, path, status, code, card, origin; never a PIN', () => {
    expect(logs).toContain(`GET /v1/status 200 origin=${SITE}`);
    expect(logs).toContain('GET /v1/cards 403 CARD_AGENT_ORIGIN_REFUSED origin=https://evil.example');
    expect(logs).toContain('GET /v1/cards 403 CARD_AGENT_ORIGIN_REFUSED origin=-');
    expect(logs).toContain(`POST /v1/keys 403 CARD_PIN_INCORRECT "Inject VSC" (serial ${serial}) origin=${SITE}`);
    expect(logs).toContain(`POST /v1/keys 201 "Inject VSC" (serial ${serial}) origin=${SITE}`);
    expect(logs).toContain(`OPTIONS /v1/keys 204 origin=${SITE}`);
    for (const l of logs) {
      expect(l).not.toContain(PIN);
      expect(l).not.toContain('00000000');
    }
  });
});
