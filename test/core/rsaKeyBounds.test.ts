/**
 * RSA request keys have an upper bound too (policy/checkRsaKey.ts): an RSA-16384 request
 * made by OpenSSL and an RSA-3072 key with a 3,070-bit public exponent — both issued
 * before — are denied with KEY_ALGORITHM_UNSUPPORTED through the whole submit path,
 * stored and audited with the precise reason, nothing issued; RSA 2048 and 4096 with
 * 65537 are still issued, and OpenSSL reads the key size and exponent in the certificate.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { saveTemplate, setTemplateGrant } from '../../src/ra/admin/templates.js';
import { submit } from '../../src/ra/submit.js';
import { expectRefused } from '../agents/support.js';
import { craftCsr } from '../support/craftCsr.js';
import { rsaKeyWithExponent } from '../support/craftRsaKey.js';
import { certText, opensslCsr, verifyCert } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

describe('RSA key bounds', () => {
  let ca: TestCa;
  let alice: DirectoryUser;
  const send = (request: Uint8Array | string, template = 'SmartcardUser') =>
    submit(ca.t, { request, template, requester: alice, source: '192.0.2.10' });
  const deniedDetail = async (requestId: number) => {
    const rec = (await ca.t.store.audit.list({ requestId })).find((a) => a.action === 'request.denied')!;
    return (rec.details as { detail: string }).detail;
  };

  beforeAll(async () => {
    ca = await newTestCa();
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    alice = await ca.user('alice');
  });
  afterAll(async () => ca?.close());

  it('denies the RSA-16384 request made by openssl (testdata/make-rsa16384.sh) with KEY_ALGORITHM_UNSUPPORTED', async () => {
    const csr = readFileSync(new URL('./testdata/rsa16384.csr.pem', import.meta.url), 'utf8');
    const r = await send(csr);
    await expectRefused(ca.t, r, 'KEY_ALGORITHM_UNSUPPORTED', { requester: 'alice' });
    expect(await deniedDetail(r.requestId)).toBe(
      'RSA 16384 is above the maximum of 8192 bits for SmartcardUser (keyAlgorithms.rsaMaxBits)',
    );
    expect(r.message).toContain('The public key algorithm in the request is not supported.');
  });

  it('denies an RSA-3072 key with a 3,070-bit public exponent with KEY_ALGORITHM_UNSUPPORTED', async () => {
    const key = rsaKeyWithExponent(3072, 3070);
    expect(key.exponent.toString(2)).toHaveLength(3070);
    const r = await send(craftCsr({ key: key.privateKey }));
    await expectRefused(ca.t, r, 'KEY_ALGORITHM_UNSUPPORTED', { requester: 'alice' });
    expect(await deniedDetail(r.requestId)).toBe(
      'the RSA public exponent is a 3070-bit number; exponents above 2^256 − 1 are never accepted (CA/B Baseline Requirements §6.1.6, NIST SP 800-89 §5.3.3)',
    );
  });

  it('denies exponent 3 unless the template accepts odd exponents', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const csr = craftCsr({ key: generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).privateKey });
    await expectRefused(ca.t, await send(csr), 'KEY_ALGORITHM_UNSUPPORTED', { requester: 'alice' });
    const base = (await ca.t.templates.get('SmartcardUser'))!;
    await saveTemplate(
      ca.t,
      LOCAL,
      {
        ...base,
        name: 'OddExponent',
        displayName: 'Odd exponent',
        schemaVersion: 2,
        oid: '2.25.4242',
        keyAlgorithms: { ...base.keyAlgorithms, rsaPublicExponent: 'odd' },
      },
      { create: true },
    );
    const r = await send(csr, 'OddExponent');
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    expect(certText(r.certificate!)).toContain('Exponent: 3 (0x3)');
  });

  it.each(['rsa:2048', 'rsa:4096'] as const)('still issues %s with 65537, as openssl reads it', async (spec) => {
    const r = await send(opensslCsr(spec).csr);
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    const text = certText(r.certificate!);
    expect(text).toContain(`Public-Key: (${spec.slice(4)} bit)`);
    expect(text).toContain('Exponent: 65537 (0x10001)');
    expect(verifyCert(r.certificate!, ca.chainPem).status).toBe(0);
  });
});
