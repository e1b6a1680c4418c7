/**
 * The page's card agent client against a real `CardAgent` on 127.0.0.1 driving real
 * SoftHSM2 cards: the messages the page shows (no agent, no card, wrong PIN, no PIN, a
 * foreign site), and the seed's card flow through the page's request builder — key made
 * on the card, request signed there, issued by a real CA, installed on the card with the
 * friendly name, judged by pkcs11-tool.
 *
 * Node's fetch sends no Origin header by itself; the test adds the page's origin the way
 * a browser does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentWorld } from '../../agents/support.js';
import { certText, openssl, tmpDir } from '../../support/openssl.js';
import { freePort } from '../../support/ports.js';
import { newSoftHsm, SOFTHSM2_MODULE, type SoftHsm } from '../../support/softhsm.js';
import { LOCAL, newTestCa, type TestCa } from '../../support/tessera.js';
import { CardAgent } from '../../../src/client/cardAgent/CardAgent.js';
import { Pkcs11Module } from '../../../src/card/pkcs11/Pkcs11Module.js';
import { allowAgent } from '../../../src/ra/admin/agentRestrictions.js';
import { setTemplateGrant } from '../../../src/ra/admin/templates.js';
import { submit } from '../../../src/ra/submit.js';
import { requesterNameRegInfo } from '../../../src/x509/cmc/regInfo.js';
import { toPem } from '../../../src/x509/pem.js';
import { loadAgentCredential } from '../../../src/client/web/agentCredential.js';
import { buildEnrollmentRequest, CARD_PROVIDER } from '../../../src/client/web/buildRequest.js';
import { buildCertAttrib } from '../../../src/client/web/certAttrib.js';
import {
  CardAgentClient,
  CardAgentError,
  cardProblemMessage,
  parseAgentUrl,
} from '../../../src/client/web/cardAgent.js';
import { parseTemplate } from '../../../src/client/web/template.js';

const SITE = 'https://ca.example.test:8443';
const PIN = '12345678';
let hsm: SoftHsm;
let mod: Pkcs11Module;
let agent: CardAgent;
let agentUrl = '';
let serial = '';
let ca: TestCa;
const realFetch = globalThis.fetch;

beforeAll(async () => {
  hsm = newSoftHsm('client-agent-');
  serial = hsm.initToken('Alice VSC', PIN, '87654321');
  hsm.useInProcess();
  mod = Pkcs11Module.acquire(SOFTHSM2_MODULE);
  agent = new CardAgent({ module: mod, allowOrigins: [SITE] });
  agentUrl = (await agent.listen(0)).url;
  // A browser adds Origin to every cross-origin fetch; Node does not.
  globalThis.fetch = ((input: RequestInfo | URL, init: RequestInit = {}) =>
    realFetch(input, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string>),
        origin: (globalThis as { __origin?: string }).__origin ?? SITE,
      },
    })) as typeof fetch;
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  await ca.user('alice');
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  await agent?.close();
  mod?.release();
  await ca?.close();
  hsm?.remove();
});

const client = () => new CardAgentClient(agentUrl, SITE);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as CardAgentError,
  );

describe('card agent client: what the page shows', () => {
  it('no agent running: how to start it for this site, next to the agent address', async () => {
    const port = await freePort();
    const e = await failure(new CardAgentClient(`http://127.0.0.1:${port}`, SITE).status());
    expect(e).toBeInstanceOf(CardAgentError);
    expect(e).toMatchObject({ code: 'AGENT_UNREACHABLE', field: 'tbAgentUrl' });
    expect(e!.message).toContain(
      `No card agent answered at http://127.0.0.1:${port}. Start the Tessera card agent: tessera card-agent --allow-origin ${SITE}`,
    );
  });

  it('takes only a loopback agent address (a PIN goes nowhere else)', () => {
    expect(parseAgentUrl('http://127.0.0.1:8399')?.origin).toBe('http://127.0.0.1:8399');
    expect(parseAgentUrl('http://localhost:8399')).not.toBeNull();
    expect(parseAgentUrl('https://evil.example:8399')).toBeNull();
    expect(parseAgentUrl('http://127.0.0.1.evil.example:8399')).toBeNull();
    expect(parseAgentUrl('file:///etc/passwd')).toBeNull();
    expect(() => new CardAgentClient('http://192.0.2.1:8399', SITE)).toThrow(CardAgentError);
  });

  it('lists the present cards', async () => {
    await client().status();
    const cards = await client().cards();
    expect(cards).toEqual([expect.objectContaining({ label: 'Alice VSC', serial, virtual: true })]);
  });

  it('a card that is not there: "Insert the smart card", next to the card list', async () => {
    const e = await failure(
      client().generate({ serial: '0000000000000000', pin: PIN, alg: 'P-256', keySize: 0, template: 'SmartcardUser' }),
    );
    expect(e).toMatchObject({ code: 'CARD_NOT_FOUND', field: 'lbCard' });
    expect(e!.message).toMatch(/^Insert the smart card\./);
  });

  it('a wrong PIN: said next to the PIN, naming the card, with what the card reports about attempts', async () => {
    const e = await failure(
      client().generate({ serial, pin: '00000000', alg: 'P-256', keySize: 0, template: 'SmartcardUser' }),
    );
    expect(e).toMatchObject({ code: 'CARD_PIN_INCORRECT', field: 'tbPin' });
    expect(e!.message).toContain('The smart card PIN is incorrect.');
    expect(e!.message).toContain('"Alice VSC"');
    // SoftHSM2 keeps no retry count; the agent says so instead of inventing one.
    expect(e!.message).toMatch(/never lock|no retry limit/);
    expect(e!.message).not.toContain('00000000');
  });

  it('no PIN: asks for it next to the PIN field', async () => {
    const e = await failure(
      client().generate({ serial, pin: '', alg: 'P-256', keySize: 0, template: 'SmartcardUser' }),
    );
    expect(e).toMatchObject({ code: 'CARD_CANCELLED', field: 'tbPin' });
  });

  it('a site the agent was not started for: how to start it for this site', async () => {
    (globalThis as { __origin?: string }).__origin = 'https://other.example';
    try {
      const e = await failure(new CardAgentClient(agentUrl, 'https://other.example').status());
      expect(e).toMatchObject({ code: 'CARD_AGENT_ORIGIN_REFUSED', field: 'tbAgentUrl' });
      expect(e!.message).toContain('tessera card-agent --allow-origin https://other.example');
    } finally {
      delete (globalThis as { __origin?: string }).__origin;
    }
  });
});

describe('the seed on a card through the page code', () => {
  it('Smartcard User, RSA 2048, Exchange, CMC, sha1: key made and request signed on the card, issued, installed as "Smartcard Certificate"', async () => {
    const c = client();
    const gen = await c.generate({ serial, pin: PIN, alg: 'rsa', keySize: 2048, template: 'SmartcardUser' });
    const t = parseTemplate('SmartcardUser', {
      name: 'SmartcardUser',
      display: 'Smartcard User',
      keySpec: 'exchange',
      rsaMin: '2048',
      ecCurves: 'P-256,P-384',
    });
    const sign = (format: 'pkcs10' | 'cmc', content?: Uint8Array) => (data: Uint8Array) =>
      c.sign({ session: gen.session, pin: PIN, hash: 'sha1', format, data, content });
    const req = await buildEnrollmentRequest({
      key: {
        spki: gen.spki,
        keyKind: gen.keyKind,
        signPkcs10: sign('pkcs10'),
        signCmc: (content) => sign('cmc', content),
      },
      hash: 'SHA-1',
      format: 'cmc',
      template: t,
      keySpec: 1,
      provider: CARD_PROVIDER,
    });
    const alice = (await ca.t.directory.findUser('alice'))!;
    const r = await submit(ca.t, {
      request: req.der,
      attributes: buildCertAttrib('SmartcardUser', [], 'test'),
      requester: alice,
      source: 'test',
    });
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    // Later, from the issued page: no session, the card by serial, the key found by public key.
    const inst = await c.install({
      serial,
      pin: PIN,
      certificate: new Uint8Array(r.certificate!),
      friendlyName: 'Smartcard Certificate',
    });
    expect(inst).toMatchObject({
      card: { label: 'Alice VSC', serial },
      label: 'Smartcard Certificate',
      id: gen.keyId,
      alreadyPresent: false,
    });
    const objects = hsm.pkcs11Tool(['--token-label', 'Alice VSC', '--login', '--pin', PIN, '-O']).stdout;
    const cert = objects.split(/\n(?=\S)/).find((b) => b.startsWith('Certificate Object'));
    expect(cert).toContain('label:      Smartcard Certificate');
    expect(cert).toContain(`ID:         ${gen.keyId}`);
    const key = objects
      .split(/\n(?=\S)/)
      .find((b) => b.startsWith('Private Key Object') && b.includes(`ID:         ${gen.keyId}`));
    expect(key).toMatch(/never extractable/);
  });
});

describe("the enrollment station with the target's card", () => {
  it("bob's key is made on his card, the request carries RequesterName and the agent's co-signature; issued for bob and installed on the card", async () => {
    const w = await agentWorld(ca);
    await allowAgent(ca.t, LOCAL, { agent: 'Help Desk', target: 'Smartcard Users', template: 'SmartcardLogon' });
    const dir = tmpDir('station-card-');
    writeFileSync(join(dir, 'a.key'), w.agentCert.key.pem);
    writeFileSync(join(dir, 'a.pem'), toPem(w.agentCert.der, 'CERTIFICATE'));
    const r0 = openssl([
      'pkcs12',
      '-export',
      '-inkey',
      join(dir, 'a.key'),
      '-in',
      join(dir, 'a.pem'),
      '-passout',
      'pass:agent pass',
      '-out',
      join(dir, 'a.p12'),
    ]);
    expect(r0.status, r0.stderr).toBe(0);
    const cred = await loadAgentCredential(new Uint8Array(readFileSync(join(dir, 'a.p12'))), 'agent pass', 'SHA-256');
    const bobSerial = hsm.initToken('Bob VSC', PIN, '87654321');
    const c = client();
    const gen = await c.generate({ serial: bobSerial, pin: PIN, alg: 'P-256', keySize: 0, template: 'SmartcardLogon' });
    const t = parseTemplate('SmartcardLogon', {
      name: 'SmartcardLogon',
      display: 'Smartcard Logon',
      keySpec: 'exchange',
      rsaMin: '2048',
      ecCurves: 'P-256,P-384',
    });
    const sign = (format: 'pkcs10' | 'cmc', content?: Uint8Array) => (data: Uint8Array) =>
      c.sign({ session: gen.session, pin: PIN, hash: 'sha256', format, data, content });
    const req = await buildEnrollmentRequest({
      key: {
        spki: gen.spki,
        keyKind: gen.keyKind,
        signPkcs10: sign('pkcs10'),
        signCmc: (content) => sign('cmc', content),
      },
      hash: 'SHA-256',
      format: 'cmc',
      template: t,
      keySpec: 1,
      provider: CARD_PROVIDER,
      regInfo: requesterNameRegInfo(`${w.domain}\\bob`),
      agent: cred,
    });
    const r = await submit(ca.t, {
      request: req.der,
      attributes: buildCertAttrib('SmartcardLogon', [], 'test'),
      requester: w.agent,
      source: 'test',
    });
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    expect(certText(r.certificate!)).toContain('othername: UPN::bob@tessera.local');
    const inst = await c.install({
      serial: bobSerial,
      pin: PIN,
      certificate: new Uint8Array(r.certificate!),
      friendlyName: 'Bob Smartcard Logon',
    });
    expect(inst).toMatchObject({ card: { label: 'Bob VSC' }, label: 'Bob Smartcard Logon', id: gen.keyId });
  });
});

describe('card problems the agent reports, as the page words them', () => {
  const card = { label: 'Alice VSC', serial: '5ef27e40aa08182f' };
  it('a locked PIN points to `tessera card unblock` for that card', () => {
    const e = cardProblemMessage(
      {
        code: 'CARD_PIN_LOCKED',
        title: 'The smart card PIN is locked. Unblock it with the card administrator key (tessera card unblock).',
        detail:
          'the PIN of card "Alice VSC" (serial 5ef27e40aa08182f) is locked; unblock it with: tessera card unblock --card "Alice VSC"',
        card,
      },
      SITE,
    );
    expect(e).toMatchObject({ code: 'CARD_PIN_LOCKED', field: 'tbPin' });
    expect(e.message).toContain('tessera card unblock --card "Alice VSC"');
    const bare = cardProblemMessage({ code: 'CARD_PIN_LOCKED', title: 'The smart card PIN is locked.', card }, SITE);
    expect(bare.message).toBe(
      'The smart card PIN is locked. Unblock it with: tessera card unblock --card "Alice VSC".',
    );
  });

  it('a wrong PIN adds what the card reports about the attempts left when the detail does not', () => {
    expect(
      cardProblemMessage(
        { code: 'CARD_PIN_INCORRECT', title: 'The smart card PIN is incorrect.', pinTries: 'final', card },
        SITE,
      ).message,
    ).toBe('The smart card PIN is incorrect. One attempt is left before the card locks its PIN.');
    expect(
      cardProblemMessage(
        { code: 'CARD_PIN_INCORRECT', title: 'The smart card PIN is incorrect.', pinTries: 'low', card },
        SITE,
      ).message,
    ).toBe('The smart card PIN is incorrect. The card reports that few attempts are left.');
  });

  it('cancelled asks for the PIN again; the agent refusing a site says how to start it for the site', () => {
    expect(
      cardProblemMessage({ code: 'CARD_CANCELLED', title: 'The smart card operation was cancelled.' }, SITE),
    ).toMatchObject({
      field: 'tbPin',
      message: 'The smart card operation was cancelled. Enter the PIN and submit again to continue.',
    });
    expect(
      cardProblemMessage(
        {
          code: 'CARD_AGENT_ORIGIN_REFUSED',
          title: 'The card agent does not answer this web site; only the configured CA sites may use it.',
        },
        SITE,
      ).message,
    ).toContain(`tessera card-agent --allow-origin ${SITE}`);
    expect(
      cardProblemMessage(
        { code: 'CARD_REMOVED', title: 'The smart card was removed during the operation. Insert it and start again.' },
        SITE,
      ).field,
    ).toBe('lbCard');
  });
});
