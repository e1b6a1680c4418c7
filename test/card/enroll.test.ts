/**
 * `tessera enroll` onto a SoftHSM2 card against a real Tessera HTTPS server: the key is
 * generated on the card, the request (PKCS#10 and CMC) is signed there, the certificate
 * comes back over the REST API and is installed next to the key. Judged by pkcs11-tool,
 * p11tool, openssl verify, and a TLS client-authentication handshake made by OpenSSL
 * (libengine-pkcs11-openssl) with the key on the card against `openssl s_server -Verify 1`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES } from '../../src/template/builtinTemplates.js';
import { resubmit } from '../../src/ra/resubmit.js';
import { saveTemplate, setTemplateGrant } from '../../src/ra/admin/templates.js';
import { openssl, tmpDir } from '../support/openssl.js';
import { freePort } from '../support/ports.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newSoftHsm, type SoftHsm } from '../support/softhsm.js';
import { LOCAL, newTestCa, setGroupMember, type TestCa } from '../support/tessera.js';
import { tessera } from './helpers/cli.js';

const PASSWORD = 'correct horse battery';
let hsm: SoftHsm;
let ca: TestCa;
let server: TestServer;
const work = tmpDir('enroll-');

beforeAll(async () => {
  hsm = newSoftHsm('enroll-');
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  const base = BUILTIN_TEMPLATES.find((t) => t.name === 'SmartcardUser')!;
  await saveTemplate(
    ca.t,
    LOCAL,
    {
      ...base,
      name: 'SmartcardUserApproval',
      displayName: 'Smartcard User (approval)',
      issuance: { ...base.issuance, managerApproval: true },
      enroll: ['Domain Users'],
    },
    { create: true },
  );
  await ca.user('alice', { password: PASSWORD });
  server = await startTestServer(ca);
  for (const label of ['Alice VSC', 'Alice EC']) {
    const r = await tessera(['--json', 'card', 'create', '--label', label, '--pin-stdin', '--so-pin-stdin'], {
      env: hsm.env,
      input: '12345678\n87654321\n',
    });
    expect(r.status, r.stderr).toBe(0);
  }
});
afterAll(async () => {
  await server?.close();
  await ca?.close();
  hsm?.remove();
});

const enroll = (args: string[], input = `${PASSWORD}\n12345678\n`) =>
  tessera(
    [
      '--json',
      'enroll',
      '--server',
      server.url,
      '--user',
      'alice',
      '--password-stdin',
      '--pin-stdin',
      '--ca-cert',
      server.chainFile,
      ...args,
    ],
    { env: hsm.env, input },
  );

/** pkcs11-tool -O after login, split into objects. */
function objectsOnCard(label: string): { kind: string; label: string; id: string; text: string }[] {
  const r = hsm.pkcs11Tool(['--token-label', label, '--login', '--pin', '12345678', '-O']);
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

function skiOf(pemFile: string): string {
  const t = openssl(['x509', '-in', pemFile, '-noout', '-ext', 'subjectKeyIdentifier']).stdout;
  return /\n\s+([0-9A-F:]+)/.exec(t)![1].replace(/:/g, '').toLowerCase();
}

const timings: Record<string, unknown>[] = [];

describe('tessera enroll onto a card', () => {
  let certFile = '';
  let keyId = '';

  it('PKCS#10, RSA 2048, SHA-256: key generated on the card, certificate issued and installed next to it', async () => {
    const r = await enroll([
      '--card',
      'Alice VSC',
      '--format',
      'pkcs10',
      '--hash',
      'sha256',
      '--key-size',
      '2048',
      '--friendly-name',
      'Smartcard Certificate',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      disposition: 'issued',
      card: { label: 'Alice VSC' },
      certificate: { label: 'Smartcard Certificate' },
    });
    timings.push({ what: 'pkcs10 rsa2048', ...r.json.timings });
    certFile = join(work, 'alice-pkcs10.pem');
    writeFileSync(certFile, r.json.certificate.pem);
    keyId = r.json.certificate.id;
    // The certificate chains to Tessera's root and carries the UPN.
    expect(openssl(['verify', '-CAfile', server.chainFile, certFile]).stdout).toContain(': OK');
    expect(openssl(['x509', '-in', certFile, '-noout', '-text']).stdout).toContain('UPN::alice@tessera.local');
    // CKA_ID of key and certificate is the certificate's SKI.
    expect(keyId).toBe(skiOf(certFile));
    const objs = objectsOnCard('Alice VSC');
    const cert = objs.find((o) => o.kind === 'Certificate');
    const priv = objs.find((o) => o.kind === 'Private Key');
    const pub = objs.find((o) => o.kind === 'Public Key');
    expect(cert).toMatchObject({ label: 'Smartcard Certificate', id: keyId });
    expect(priv?.id).toBe(keyId);
    expect(pub?.id).toBe(keyId);
    expect(priv?.text).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    expect(priv?.label).toMatch(/^te-SmartcardUser-/);
  });

  it("the key on the card is the certificate's key: pkcs11-tool signs on the card, openssl verifies with the certificate", () => {
    const data = join(work, 'data.bin');
    writeFileSync(data, 'proof of possession, checked by openssl');
    const sig = join(work, 'data.sig');
    const s = hsm.pkcs11Tool([
      '--token-label',
      'Alice VSC',
      '--login',
      '--pin',
      '12345678',
      '--sign',
      '--mechanism',
      'SHA256-RSA-PKCS',
      '--id',
      keyId,
      '--input-file',
      data,
      '--output-file',
      sig,
    ]);
    expect(s.status, s.stderr).toBe(0);
    const pub = join(work, 'cert-pub.pem');
    writeFileSync(pub, openssl(['x509', '-in', certFile, '-noout', '-pubkey']).stdout);
    expect(openssl(['dgst', '-sha256', '-verify', pub, '-signature', sig, data]).stdout).toContain('Verified OK');
    // And the public key object on the card is byte-for-byte the certificate's.
    const cardPubFile = join(work, 'card-pub.der');
    expect(
      hsm.pkcs11Tool([
        '--token-label',
        'Alice VSC',
        '--read-object',
        '--type',
        'pubkey',
        '--id',
        keyId,
        '--output-file',
        cardPubFile,
      ]).status,
    ).toBe(0);
    const certPubDer = join(work, 'cert-pub.der');
    expect(openssl(['pkey', '-pubin', '-in', pub, '-outform', 'DER', '-out', certPubDer]).status).toBe(0);
    expect(readFileSync(cardPubFile).equals(readFileSync(certPubDer))).toBe(true);
  });

  it('p11tool (GnuTLS) lists the certificate with the friendly name and the key with the same ID', () => {
    const withPin = hsm.run('sh', [
      '-c',
      `GNUTLS_PIN=12345678 p11tool --provider /usr/lib/softhsm/libsofthsm2.so --login --list-all 'pkcs11:token=Alice%20VSC'`,
    ]);
    expect(withPin.status, withPin.stderr).toBe(0);
    const colonId = keyId.match(/../g)!.join(':');
    const objs = withPin.stdout
      .split(/Object \d+:/)
      .slice(1)
      .map((b) => ({
        type: /Type: (.*)/.exec(b)?.[1] ?? '',
        label: /Label: (.*)/.exec(b)?.[1] ?? '',
        id: /ID: (.*)/.exec(b)?.[1]?.trim() ?? '',
        flags: /Flags: (.*)/.exec(b)?.[1] ?? '',
      }));
    const cert = objs.find((o) => o.type.startsWith('X.509 Certificate'));
    expect(cert).toMatchObject({ label: 'Smartcard Certificate', id: colonId });
    const priv = objs.find((o) => o.type.startsWith('Private key') && o.id === colonId);
    expect(priv?.type).toBe('Private key (RSA-2048)');
    expect(priv?.flags).toContain('CKA_NEVER_EXTRACTABLE');
    expect(priv?.flags).toContain('CKA_SENSITIVE');
  });

  it('an independent client uses the card: OpenSSL s_client (pkcs11 engine) completes TLS client authentication against s_server -Verify 1', async () => {
    const port = await freePort();
    const conf = hsm.opensslEngineConf();
    const srv: ChildProcess = spawn(
      'openssl',
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-Verify',
        '1',
        '-CAfile',
        server.chainFile,
        '-cert',
        join(ca.dir, 'tls', 'server.pem'),
        '-key',
        join(ca.dir, 'tls', 'server.key'),
        '-www',
      ],
      { env: hsm.env },
    );
    try {
      let out = '';
      srv.stdout!.on('data', (c) => (out += c));
      srv.stderr!.on('data', (c) => (out += c));
      for (let i = 0; i < 50 && !out.includes('ACCEPT'); i++) await new Promise((r) => setTimeout(r, 100));
      const uri = `pkcs11:token=Alice%20VSC;id=${keyId
        .match(/../g)!
        .map((b) => `%${b}`)
        .join('')};type=private;pin-value=12345678`;
      const client = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        const c = spawn(
          'openssl',
          [
            's_client',
            '-connect',
            `127.0.0.1:${port}`,
            '-servername',
            'localhost',
            '-CAfile',
            server.chainFile,
            '-engine',
            'pkcs11',
            '-keyform',
            'engine',
            '-key',
            uri,
            '-cert',
            certFile,
            '-ign_eof',
          ],
          { env: { ...hsm.env, OPENSSL_CONF: conf } },
        );
        let so = '';
        let se = '';
        c.stdout.on('data', (d) => (so += d));
        c.stderr.on('data', (d) => (se += d));
        c.on('close', (status) => resolve({ status: status ?? -1, stdout: so, stderr: se }));
        c.stdin.end('GET / HTTP/1.0\r\n\r\n');
      });
      expect(client.stdout, client.stderr).toContain('Verify return code: 0 (ok)');
      // s_server's page shows the client certificate it verified.
      expect(client.stdout).toMatch(/Client certificate/);
      expect(client.stdout).toContain('alice');
      expect(out).not.toMatch(/verify error/);
    } finally {
      srv.kill('SIGTERM');
    }
  });

  it('CMC as in the seed (sha1, 2048, friendly name), and ECDSA P-256 with CMC', async () => {
    const r = await enroll([
      '--card',
      'Alice VSC',
      '--format',
      'cmc',
      '--hash',
      'sha1',
      '--key-size',
      '2048',
      '--friendly-name',
      'Smartcard Certificate (CMC)',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.disposition).toBe('issued');
    timings.push({ what: 'cmc rsa2048 sha1', ...r.json.timings });
    const rows = await ca.t.store.requests.get(r.json.requestId);
    expect(rows?.format).toBe('cmc');
    const ec = await enroll([
      '--card',
      'Alice EC',
      '--format',
      'cmc',
      '--key-alg',
      'ec',
      '--curve',
      'P-256',
      '--friendly-name',
      'Smartcard Certificate',
    ]);
    expect(ec.status, ec.stderr).toBe(0);
    timings.push({ what: 'cmc ecP256', ...ec.json.timings });
    const f = join(work, 'alice-ec.pem');
    writeFileSync(f, ec.json.certificate.pem);
    expect(openssl(['verify', '-CAfile', server.chainFile, f]).stdout).toContain(': OK');
    const objs = objectsOnCard('Alice EC');
    expect(objs.find((o) => o.kind === 'Certificate')?.id).toBe(skiOf(f));
    expect(objs.find((o) => o.kind === 'Private Key')?.text).toMatch(/EC/);
    const card = objectsOnCard('Alice VSC')
      .filter((o) => o.kind === 'Certificate')
      .map((o) => o.label);
    expect(card.sort()).toEqual(['Smartcard Certificate', 'Smartcard Certificate (CMC)']);
  });

  it('a wrong PIN stops before anything reaches the CA', async () => {
    const before = (await ca.t.store.requests.list({ limit: 1000 })).length;
    const r = await enroll(['--card', 'Alice VSC', '--format', 'pkcs10'], `${PASSWORD}\n00000000\n`);
    expect(r.error?.code).toBe('CARD_PIN_INCORRECT');
    expect(r.error?.detail).toContain('"Alice VSC"');
    expect((await ca.t.store.requests.list({ limit: 1000 })).length).toBe(before);
  });

  it('a missing card: "insert the smart card", before the PIN is asked', async () => {
    const r = await enroll(['--card', 'Nobody VSC'], `${PASSWORD}\n`);
    expect(r.error?.code).toBe('CARD_NOT_FOUND');
    expect(r.error?.message).toContain('Insert the smart card');
  });

  it('a denied request removes the new key from the card', async () => {
    const before = objectsOnCard('Alice EC').length;
    const r = await enroll(['--card', 'Alice EC', '--format', 'pkcs10', '--template', 'NoSuchTemplate']);
    expect(r.status).toBe(1);
    expect(r.error?.code).toMatch(/TEMPLATE_UNKNOWN|ENROLL_DENIED/);
    expect(objectsOnCard('Alice EC').length).toBe(before);
  });

  it('a pending request keeps the key; `enroll --retrieve` installs the certificate after approval', async () => {
    const r = await enroll([
      '--card',
      'Alice EC',
      '--format',
      'pkcs10',
      '--key-alg',
      'ec',
      '--template',
      'SmartcardUserApproval',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.disposition).toBe('pending');
    const id = r.json.requestId;
    const early = await enroll(['--card', 'Alice EC', '--retrieve', String(id)]);
    expect(early.json.disposition).toBe('pending');
    await ca.user('carol');
    await setGroupMember(ca.t, LOCAL, 'Certificate Managers', 'carol', true);
    const approved = await resubmit(ca.t, await ca.actor('carol'), id);
    expect(approved.disposition).toBe('issued');
    const later = await enroll([
      '--card',
      'Alice EC',
      '--retrieve',
      String(id),
      '--friendly-name',
      'Approved Smartcard Certificate',
    ]);
    expect(later.status, later.stderr).toBe(0);
    expect(later.json).toMatchObject({
      disposition: 'issued',
      certificate: { label: 'Approved Smartcard Certificate' },
    });
    const cert = objectsOnCard('Alice EC').find((o) => o.label === 'Approved Smartcard Certificate');
    expect(cert?.id).toBe(r.json.keyId);
    // Installing again changes nothing.
    const again = await enroll(['--card', 'Alice EC', '--retrieve', String(id)]);
    expect(again.status).toBe(0);
    expect(objectsOnCard('Alice EC').filter((o) => o.kind === 'Certificate')).toHaveLength(2);
  });

  it('TLS to the CA is verified: without the Tessera root the server is not trusted', async () => {
    const r = await tessera(
      [
        '--json',
        'enroll',
        '--server',
        server.url,
        '--user',
        'alice',
        '--password-stdin',
        '--pin-stdin',
        '--card',
        'Alice VSC',
      ],
      { env: hsm.env, input: `${PASSWORD}\n12345678\n` },
    );
    expect(r.error?.code).toBe('SERVER_UNTRUSTED');
  });

  afterAll(() => {
    console.log('card enrollment timings (ms):', JSON.stringify(timings));
  });
});
