/**
 * An encoder bug never reaches the signer (docs/issuance.md 5e): with a planted bug in the
 * SKI encoder, the CA reads its own TBS back, refuses with CA_LINT_MISMATCH, and the
 * request is stored as failed with nothing reserved, signed or issued.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { submit } from '../../src/ra/submit.js';
import { opensslCsr } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

const plant = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/x509/extensions.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/x509/extensions.js')>();
  return {
    ...real,
    // The planted bug: the key identifier loses its last octet.
    subjectKeyIdentifierExtension: (id: Uint8Array) =>
      real.subjectKeyIdentifierExtension(plant.on ? id.subarray(0, -1) : id),
  };
});

describe('lint of the signed bytes, end to end', () => {
  let ca: TestCa;
  let alice: DirectoryUser;
  beforeAll(async () => {
    ca = await newTestCa();
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    alice = await ca.user('alice');
  });
  afterAll(async () => ca?.close());
  const enroll = () => {
    const request = opensslCsr('P-256').csr;
    return submit(ca.t, { request, template: 'SmartcardUser', requester: alice, source: '192.0.2.7' });
  };

  it('records the request as failed with CA_LINT_MISMATCH and issues nothing', async () => {
    const before = await ca.t.store.certificates.countByStatus();
    plant.on = true;
    const r = await enroll();
    plant.on = false;
    expect(r).toMatchObject({ disposition: 'failed', code: 'CA_LINT_MISMATCH', serial: null, certificate: null });
    const stored = await ca.t.store.requests.get(r.requestId);
    expect(stored).toMatchObject({ disposition: 'failed', code: 'CA_LINT_MISMATCH' });
    expect(await ca.t.store.certificates.countByStatus()).toEqual(before);
    expect(await ca.t.store.certificates.byRequest(r.requestId)).toBeUndefined();
    const audit = await ca.t.store.audit.list({ requestId: r.requestId });
    expect(audit.map((a) => a.action)).toEqual(['request.failed']);
    expect(JSON.stringify(audit[0].details)).toMatch(/extension 2\.5\.29\.14 does not say what the profile asked for/);

    // Without the bug the same CA issues.
    const ok = await enroll();
    expect(ok).toMatchObject({ disposition: 'issued', code: null });
  });
});
