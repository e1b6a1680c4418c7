import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { submit } from '../../src/ra/submit.js';
import { certText, opensslCsr, verifyCert } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

describe.each(['sqlite', 'postgres'] as const)('issuance on %s', (engine) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa({ engine });
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  });
  afterAll(async () => ca?.close());

  it('issues a Smartcard User certificate that openssl verifies', async () => {
    const alice = await ca.user('alice');
    const { csr } = opensslCsr('P-256');
    const r = await submit(ca.t, { request: csr, template: 'SmartcardUser', requester: alice, source: 'test' });
    expect(r.disposition).toBe('issued');
    expect(verifyCert(r.certificate!, ca.chainPem).stdout).toContain('OK');
    expect(certText(r.certificate!)).toContain('othername: UPN::alice@tessera.local');
  });
});
