/**
 * `tessera enroll-on-behalf` with an agent key held on the agent's own card (docs/cards.md
 * "Enrolling on behalf with the agent's own card"). End to end against a real Tessera HTTPS server and real SoftHSM2 tokens in a
 * private token directory:
 *
 *   - the help desk agent enrolls its EnrollmentAgent certificate onto its own card with
 *     `tessera enroll` (key generated on the card, certificate installed next to it);
 *   - `tessera agent allow` adds the restriction;
 *   - `tessera enroll-on-behalf --agent-card` co-signs bob's CMC request on the agent's
 *     card, with the agent certificate read from the card; bob's key goes to a key file,
 *     or with `--card` onto bob's own card in the same step;
 *   - a wrong agent PIN stops before anything reaches the CA.
 *
 * OpenSSL judges the certificates (chain, UPN, and the SID read out of the KB5014754
 * extension by `openssl asn1parse`), pkcs11-tool judges what is on the cards.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup } from '../../src/ra/admin/groups.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { cli } from '../cli/runCli.js';
import { openssl, tmpDir } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newSoftHsm, type SoftHsm } from '../support/softhsm.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { tessera } from './helpers/cli.js';

const PASSWORD = 'correct horse battery';
const AGENT_PIN = '24681357';
const BOB_PIN = '12345678';
let hsm: SoftHsm;
let ca: TestCa;
let server: TestServer;
let bobSid: string;
let domain: string;
const work = tmpDir('eobo-card-');

beforeAll(async () => {
  hsm = newSoftHsm('eobo-card-');
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
  domain = ca.t.config.domain.name;
  await createGroup(ca.t, LOCAL, 'Help Desk');
  await createGroup(ca.t, LOCAL, 'Smartcard Users');
  await ca.user('helpdesk', { groups: ['Enrollment Agents', 'Help Desk'], password: PASSWORD });
  bobSid = (await ca.user('bob', { groups: ['Smartcard Users'] })).sid!;
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardLogon', 'Enrollment Agents', true);
  server = await startTestServer(ca);
  for (const [label, pin] of [
    ['Helpdesk VSC', AGENT_PIN],
    ['Bob VSC', BOB_PIN],
  ]) {
    const r = await tessera(['--json', 'card', 'create', '--label', label, '--pin-stdin', '--so-pin-stdin'], {
      env: hsm.env,
      input: `${pin}\n87654321\n`,
    });
    expect(r.status, r.stderr).toBe(0);
  }
});
afterAll(async () => {
  await server?.close();
  await ca?.close();
  hsm?.remove();
});

const onBehalf = (args: string[], input: string) =>
  tessera(
    [
      '--json',
      'enroll-on-behalf',
      '--server',
      server.url,
      '--user',
      'helpdesk',
      '--password-stdin',
      '--ca-cert',
      server.chainFile,
      '--for',
      `${domain}\\bob`,
      '--template',
      'SmartcardLogon',
      ...args,
    ],
    { env: hsm.env, input },
  );

/** pkcs11-tool -O after login, split into objects. */
function objectsOnCard(label: string, pin: string): { kind: string; label: string; id: string; text: string }[] {
  const r = hsm.pkcs11Tool(['--token-label', label, '--login', '--pin', pin, '-O']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split(/\n(?=\S)/)
    .filter((b) => / Object;/.test(b))
    .map((b) => ({
      kind: b.split(' Object')[0].trim(),
      label: /label:\s+(.*)/.exec(b)?.[1].trim() ?? '',
      id: /ID:\s+([0-9a-f]+)/.exec(b)?.[1] ?? '',
      text: b,
    }));
}

/** The SID in the KB5014754 extension (1.3.6.1.4.1.311.25.2), as OpenSSL's asn1parse reads it. */
function sidByOpenssl(pemFile: string): string | undefined {
  const der = join(work, `${Math.random().toString(36).slice(2)}.der`);
  expect(openssl(['x509', '-in', pemFile, '-outform', 'DER', '-out', der]).status).toBe(0);
  const lines = openssl(['asn1parse', '-inform', 'DER', '-in', der]).stdout.split('\n');
  const at = lines.findIndex((l) => l.includes(':1.3.6.1.4.1.311.25.2') && !l.includes('25.2.1'));
  if (at < 0) return undefined;
  // The extnValue OCTET STRING follows the OID; parse inside it.
  const offset = /^\s*(\d+):/.exec(lines.slice(at + 1).find((l) => l.includes('OCTET STRING'))!)![1];
  const inner = openssl(['asn1parse', '-inform', 'DER', '-in', der, '-strparse', offset]).stdout;
  expect(inner).toContain(':1.3.6.1.4.1.311.25.2.1');
  return /OCTET STRING\s+:(S-1-5-[0-9-]+)/.exec(inner)?.[1];
}

const requestCount = async () => (await ca.t.store.requests.list({ limit: 10_000 })).length;
const auditCount = async () => (await ca.t.store.audit.list({ limit: 10_000 })).length;

describe('tessera enroll-on-behalf with the agent key on the agent card', () => {
  let agentSerial = '';

  it("the agent's EnrollmentAgent certificate is enrolled onto its own card with `tessera enroll`", async () => {
    const r = await tessera(
      [
        '--json',
        'enroll',
        '--server',
        server.url,
        '--user',
        'helpdesk',
        '--password-stdin',
        '--pin-stdin',
        '--ca-cert',
        server.chainFile,
        '--card',
        'Helpdesk VSC',
        '--template',
        'EnrollmentAgent',
        '--friendly-name',
        'Enrollment Agent',
      ],
      { env: hsm.env, input: `${PASSWORD}\n${AGENT_PIN}\n` },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      disposition: 'issued',
      card: { label: 'Helpdesk VSC' },
      certificate: { label: 'Enrollment Agent' },
    });
    agentSerial = r.json.serial;
    const file = join(work, 'agent.pem');
    writeFileSync(file, r.json.certificate.pem);
    expect(openssl(['verify', '-CAfile', server.chainFile, file]).stdout).toContain(': OK');
    // EKU Certificate Request Agent, and a Signature key (the template's key spec).
    expect(openssl(['x509', '-in', file, '-noout', '-ext', 'extendedKeyUsage']).stdout).toMatch(
      /1\.3\.6\.1\.4\.1\.311\.20\.2\.1|Certificate Request Agent/,
    );
    expect(openssl(['x509', '-in', file, '-noout', '-ext', 'keyUsage']).stdout).not.toContain('Key Encipherment');
    const objs = objectsOnCard('Helpdesk VSC', AGENT_PIN);
    const cert = objs.find((o) => o.kind === 'Certificate');
    expect(cert?.label).toBe('Enrollment Agent');
    expect(objs.find((o) => o.kind === 'Private Key')?.id).toBe(cert?.id);
  });

  it('a wrong agent PIN is refused before anything reaches the CA', async () => {
    const [requests, audit] = [await requestCount(), await auditCount()];
    const keyFile = join(work, 'wrong-pin.key.pem');
    const r = await onBehalf(
      ['--agent-card', 'Helpdesk VSC', '--agent-pin-stdin', '--out-key', keyFile],
      `${PASSWORD}\n00000000\n`,
    );
    expect(r.status).toBe(1);
    expect(r.error?.code).toBe('CARD_PIN_INCORRECT');
    expect(r.error?.detail).toContain('"Helpdesk VSC"');
    expect(r.error?.detail).not.toContain('00000000');
    expect(await requestCount()).toBe(requests);
    expect(await auditCount()).toBe(audit);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('before `agent allow` the CA refuses the card-signed request, and the audit names agent and target', async () => {
    const r = await onBehalf(
      ['--agent-card', 'Helpdesk VSC', '--agent-pin-stdin', '--out-key', join(work, 'early.key.pem')],
      `${PASSWORD}\n${AGENT_PIN}\n`,
    );
    expect(r.error?.code).toBe('AGENT_NOT_PERMITTED');
    const denied = (await ca.t.store.requests.list({ disposition: 'denied', limit: 1 }))[0];
    expect({
      requester: denied.requester,
      subjectUser: denied.subjectUser,
      agent: denied.agent,
      code: denied.code,
    }).toEqual({ requester: 'helpdesk', subjectUser: 'bob', agent: 'helpdesk', code: 'AGENT_NOT_PERMITTED' });
  });

  it("after `tessera agent allow`, --agent-card issues bob's certificate: bob's UPN and SID (OpenSSL), the audit names the agent", async () => {
    const allow = await cli(ca.dir, [
      '--json',
      'agent',
      'allow',
      '--agent',
      'Help Desk',
      '--for',
      'Smartcard Users',
      '--template',
      'SmartcardLogon',
    ]);
    expect(allow.status, allow.stderr).toBe(0);
    const keyFile = join(work, 'bob.key.pem');
    const certFile = join(work, 'bob.pem');
    const r = await onBehalf(
      [
        '--agent-card',
        'Helpdesk VSC',
        '--agent-pin-stdin',
        '--out-key',
        keyFile,
        '--out',
        certFile,
        '--key-alg',
        'P-256',
      ],
      `${PASSWORD}\n${AGENT_PIN}\n`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      disposition: 'issued',
      for: `${domain}\\bob`,
      keyFile,
      certificateFile: certFile,
      agent: { key: 'card', certificate: 'card', card: { label: 'Helpdesk VSC' }, certificateSerial: agentSerial },
    });
    expect(openssl(['verify', '-CAfile', server.chainFile, certFile]).stdout).toContain(': OK');
    const text = openssl(['x509', '-in', certFile, '-noout', '-text']).stdout;
    expect(text).toContain('othername: UPN::bob@tessera.local');
    expect(text).not.toContain('helpdesk');
    expect(sidByOpenssl(certFile)).toBe(bobSid);
    expect(openssl(['pkey', '-pubout', '-in', keyFile]).stdout).toBe(
      openssl(['x509', '-noout', '-pubkey', '-in', certFile]).stdout,
    );

    const row = await ca.t.store.requests.get(r.json.requestId);
    expect({
      requester: row!.requester,
      subjectUser: row!.subjectUser,
      agent: row!.agent,
      format: row!.format,
    }).toEqual({ requester: 'helpdesk', subjectUser: 'bob', agent: 'helpdesk', format: 'cmc' });
    const issued = (await ca.t.store.audit.list({ requestId: r.json.requestId })).find(
      (a) => a.action === 'certificate.issued',
    )!;
    expect(issued.actor).toBe('helpdesk');
    expect(issued.target).toBe('bob');
    expect(issued.details).toMatchObject({
      agent: 'helpdesk',
      requester: 'helpdesk',
      template: 'SmartcardLogon',
      sid: bobSid,
    });
  });

  it("one step for the help desk: --agent-card (by serial) and --card put bob's key and certificate on bob's card", async () => {
    const agentCardSerial = (await tessera(['--json', 'card', 'list', '--card', 'Helpdesk VSC'], { env: hsm.env })).json
      .cards[0].serial;
    const r = await onBehalf(
      [
        '--agent-card',
        agentCardSerial,
        '--agent-pin-stdin',
        '--card',
        'Bob VSC',
        '--pin-stdin',
        '--friendly-name',
        'Smartcard Certificate',
      ],
      `${PASSWORD}\n${AGENT_PIN}\n${BOB_PIN}\n`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      disposition: 'issued',
      card: { label: 'Bob VSC' },
      installed: { label: 'Smartcard Certificate' },
      keyFile: null,
      agent: { card: { serial: agentCardSerial } },
    });
    const certFile = join(work, 'bob-card.pem');
    writeFileSync(certFile, r.json.certificate);
    expect(openssl(['verify', '-CAfile', server.chainFile, certFile]).stdout).toContain(': OK');
    expect(openssl(['x509', '-in', certFile, '-noout', '-text']).stdout).toContain('othername: UPN::bob@tessera.local');
    expect(sidByOpenssl(certFile)).toBe(bobSid);
    // On bob's card: the certificate with its friendly name next to a key generated there.
    const objs = objectsOnCard('Bob VSC', BOB_PIN);
    const cert = objs.find((o) => o.kind === 'Certificate');
    const priv = objs.find((o) => o.kind === 'Private Key');
    expect(cert).toMatchObject({ label: 'Smartcard Certificate', id: r.json.installed.id });
    expect(priv?.id).toBe(cert?.id);
    expect(priv?.text).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    // The card's public key object is the certificate's key.
    const cardPub = join(work, 'bob-card-pub.der');
    expect(
      hsm.pkcs11Tool([
        '--token-label',
        'Bob VSC',
        '--read-object',
        '--type',
        'pubkey',
        '--id',
        cert!.id,
        '--output-file',
        cardPub,
      ]).status,
    ).toBe(0);
    const certPub = join(work, 'bob-cert-pub.der');
    expect(openssl(['x509', '-in', certFile, '-noout', '-pubkey', '-out', join(work, 'bob-cert-pub.pem')]).status).toBe(
      0,
    );
    expect(
      openssl(['pkey', '-pubin', '-in', join(work, 'bob-cert-pub.pem'), '-outform', 'DER', '-out', certPub]).status,
    ).toBe(0);
    expect(readFileSync(cardPub).equals(readFileSync(certPub))).toBe(true);
    // Nothing of bob's landed on the agent's card.
    expect(
      objectsOnCard('Helpdesk VSC', AGENT_PIN)
        .filter((o) => o.kind === 'Certificate')
        .map((o) => o.label),
    ).toEqual(['Enrollment Agent']);
  });

  it('--agent-card with --agent-cert uses that certificate, paired with its key on the card', async () => {
    const agentPem = join(work, 'agent-given.pem');
    writeFileSync(agentPem, readFileSync(join(work, 'agent.pem'), 'utf8'));
    const r = await onBehalf(
      [
        '--agent-card',
        'Helpdesk VSC',
        '--agent-pin-stdin',
        '--agent-cert',
        agentPem,
        '--out-key',
        join(work, 'bob3.key.pem'),
      ],
      `${PASSWORD}\n${AGENT_PIN}\n`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.agent).toMatchObject({ key: 'card', certificate: 'file', certificateSerial: agentSerial });
  });

  it('a card without an enrollment agent certificate: CARD_NO_AGENT_CERTIFICATE, nothing sent', async () => {
    const requests = await requestCount();
    const r = await onBehalf(
      ['--agent-card', 'Bob VSC', '--agent-pin-stdin', '--out-key', join(work, 'none.key.pem')],
      `${PASSWORD}\n${BOB_PIN}\n`,
    );
    expect(r.error?.code).toBe('CARD_NO_AGENT_CERTIFICATE');
    expect(r.error?.detail).toContain('"Bob VSC"');
    expect(await requestCount()).toBe(requests);
  });

  it('refuses contradictory options and an absent agent card before any PIN is asked', async () => {
    expect(
      (await onBehalf(['--agent-card', 'Helpdesk VSC', '--card', 'Helpdesk VSC'], `${PASSWORD}\n`)).error?.code,
    ).toBe('INPUT_INVALID');
    expect((await onBehalf(['--agent-card', 'Helpdesk VSC', '--agent-key', join(work, 'x.pem')], '')).error?.code).toBe(
      'INPUT_INVALID',
    );
    expect((await onBehalf(['--agent-card', 'Nobody VSC', '--agent-pin-stdin'], `${PASSWORD}\n`)).error?.code).toBe(
      'CARD_NOT_FOUND',
    );
  });
});
