/**
 * The bad input matrix (docs/security.md §7, §10.3; docs/issuance.md "1. Decode"): each bad request gets its own code and public message, a stored denied
 * disposition with a request ID, an audit record naming the code and the precise reason,
 * no certificate row or reservation, and the audit chain still verifies.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { errorRegistry, type ErrorCode } from '../../src/errors/registry.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { setUserEnabled } from '../../src/ra/admin/users.js';
import { submit, type SubmitInput } from '../../src/ra/submit.js';
import { oid, seq } from '../../src/x509/der.js';
import { OID } from '../../src/x509/oids.js';
import { decodeRequestBytes } from '../../src/x509/pem.js';
import { attr, craftCsr, ext } from '../support/craftCsr.js';
import { opensslCsr, tmpDir } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

/** Deterministic "random" bytes (xorshift32), so a failure can be reproduced. */
function pseudoRandom(n: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function nested(levels: number): Buffer {
  let der: Buffer = Buffer.from([0x30, 0x00]);
  for (let i = 1; i < levels; i++) der = seq(der);
  return der;
}

function explicitEcCsr(): string {
  const dir = tmpDir('explicit-');
  execFileSync(
    'openssl',
    ['ecparam', '-name', 'prime256v1', '-genkey', '-param_enc', 'explicit', '-out', join(dir, 'k.pem')],
    { stdio: 'pipe' },
  );
  execFileSync('openssl', ['req', '-new', '-key', join(dir, 'k.pem'), '-subj', '/CN=x', '-out', join(dir, 'r.pem')], {
    stdio: 'pipe',
  });
  return readFileSync(join(dir, 'r.pem'), 'utf8');
}

describe.each(['sqlite', 'postgres'] as const)('bad input on %s', (engine) => {
  let ca: TestCa;
  let alice: DirectoryUser;
  let outsider: DirectoryUser;
  let disabled: DirectoryUser;
  let certificatesBefore: Record<string, number>;

  beforeAll(async () => {
    ca = await newTestCa({ engine });
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Enrollment Agents', true);
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardLogon', 'Domain Users', true);
    alice = await ca.user('alice', { groups: ['Enrollment Agents'] });
    await ca.user('administrator', { groups: ['CA Administrators'] });
    outsider = await ca.user('oscar');
    await ca.user('dora', { groups: ['Enrollment Agents'] });
    await setUserEnabled(ca.t, LOCAL, 'dora', false);
    disabled = (await ca.t.directory.findUser('dora'))!;
    certificatesBefore = await ca.t.store.certificates.countByStatus();
  });
  afterAll(async () => ca?.close());

  const tampered = () => {
    const der = decodeRequestBytes(opensslCsr('rsa:2048').csr);
    der[der.length - 5] ^= 0x40;
    return der;
  };
  const truncated = () => {
    const der = decodeRequestBytes(opensslCsr('P-256').csr);
    return der.subarray(0, der.length - 17);
  };

  const cases: {
    name: string;
    code: ErrorCode;
    input: () => Partial<SubmitInput>;
    detail?: RegExp;
    message?: string;
  }[] = [
    { name: 'a tampered CSR signature', code: 'CSR_BAD_SIGNATURE', input: () => ({ request: tampered() }) },
    {
      name: 'an RSA-1024 key',
      code: 'KEY_TOO_SMALL',
      input: () => ({ request: opensslCsr('rsa:1024').csr }),
      detail: /RSA 1024 is below the minimum of 2048 bits for SmartcardUser/,
    },
    { name: 'explicit EC parameters', code: 'KEY_EC_EXPLICIT_PARAMETERS', input: () => ({ request: explicitEcCsr() }) },
    {
      name: 'an unknown template',
      code: 'TEMPLATE_UNKNOWN',
      input: () => ({ template: 'DomainController' }),
      message:
        'The request was for a certificate template that is not supported by the Tessera policy: DomainController.',
    },
    { name: 'no template at all', code: 'TEMPLATE_MISSING', input: () => ({ template: undefined }) },
    {
      name: 'a user without Enroll permission',
      code: 'ENROLL_DENIED',
      input: () => ({ requester: outsider }),
      detail: /oscar is in none of the groups with Enroll on SmartcardUser/,
    },
    {
      name: 'a disabled user',
      code: 'USER_DISABLED',
      input: () => ({ requester: disabled }),
      detail: /dora is disabled/,
    },
    {
      name: 'a requester-supplied SAN UPN of another user',
      code: 'NAME_NOT_ALLOWED',
      input: () => ({
        request: opensslCsr('P-256', {
          addext: ['subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:administrator@tessera.local'],
        }).csr,
      }),
      detail: /upn:administrator@tessera\.local, which is not alice's/,
    },
    {
      name: 'duplicate extensions',
      code: 'CSR_DUPLICATE_EXTENSION',
      input: () => ({
        request: craftCsr({
          extensions: [ext(OID.extKeyUsage, seq(oid(OID.clientAuth))), ext(OID.extKeyUsage, seq(oid(OID.clientAuth)))],
        }),
      }),
    },
    {
      name: 'an empty EKU',
      code: 'CSR_INVALID_EXTENSION',
      input: () => ({ request: craftCsr({ extensions: [ext(OID.extKeyUsage, seq())] }) }),
    },
    { name: 'truncated DER', code: 'REQUEST_MALFORMED', input: () => ({ request: truncated() }) },
    {
      name: 'garbage bytes',
      code: 'REQUEST_MALFORMED',
      input: () => ({ request: Buffer.from([0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef]) }),
    },
    {
      name: 'BER indefinite length',
      code: 'REQUEST_NOT_DER',
      input: () => ({ request: Buffer.from('3080020100 0000'.replace(/ /g, ''), 'hex') }),
    },
    { name: '1 MB of random bytes', code: 'REQUEST_TOO_LARGE', input: () => ({ request: pseudoRandom(1024 * 1024) }) },
    {
      name: '1 MB of random bytes starting like a SEQUENCE',
      code: 'REQUEST_TOO_LARGE',
      input: () => ({ request: Buffer.concat([Buffer.from([0x30]), pseudoRandom(1024 * 1024 - 1)]) }),
    },
    { name: '10,000 nested SEQUENCEs', code: 'REQUEST_TOO_DEEP', input: () => ({ request: nested(10_000) }) },
    {
      name: '10,000 nested SEQUENCEs inside a CSR attribute',
      code: 'REQUEST_TOO_DEEP',
      input: () => ({ request: craftCsr({ attributes: [attr('1.2.3.4', nested(10_000))] }) }),
    },
    { name: 'base64 garbage', code: 'REQUEST_MALFORMED', input: () => ({ request: 'SGVsbG8sIHdvcmxkIQ==' }) },
    {
      name: 'text that is not base64',
      code: 'REQUEST_MALFORMED',
      input: () => ({ request: '<html>certificate please</html>' }),
    },
    { name: 'an empty request', code: 'REQUEST_EMPTY', input: () => ({ request: '' }) },
    {
      name: 'an empty PEM block',
      code: 'REQUEST_EMPTY',
      input: () => ({
        request: '-----BEGIN NEW CERTIFICATE REQUEST-----\r\n-----END NEW CERTIFICATE REQUEST-----\r\n',
      }),
    },
  ];

  it.each(cases)(
    'denies $name with $code, audited, leaving no certificate',
    async ({ code, input, detail, message }) => {
      const base: SubmitInput = {
        request: opensslCsr('P-256').csr,
        template: 'SmartcardUser',
        requester: alice,
        source: '198.51.100.9',
      };
      const given = { ...base, ...input() };
      const raw = typeof given.request === 'string' ? Buffer.from(given.request, 'utf8') : Buffer.from(given.request);
      const t0 = performance.now();
      const r = await submit(ca.t, given);
      expect(performance.now() - t0).toBeLessThan(5000);

      // The answer: its code and the public message, nothing internal.
      expect(r).toMatchObject({ disposition: 'denied', code, serial: null, certificate: null });
      expect(r.message).toBe(message ?? errorRegistry[code].message);

      // The stored disposition.
      const row = await ca.t.store.requests.get(r.requestId);
      expect(row).toMatchObject({
        disposition: 'denied',
        code,
        message: r.message,
        requester: given.requester.username,
        source: '198.51.100.9',
      });
      expect(row!.requestSha256).toBe(createHash('sha256').update(raw).digest('hex'));
      if (raw.length > 64 * 1024) expect(row!.requestDer).toBeNull();

      // The audit record: action, code and the precise reason.
      const audit = await ca.t.store.audit.list({ requestId: r.requestId });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        action: 'request.denied',
        actor: given.requester.username,
        source: '198.51.100.9',
        details: { code },
      });
      if (detail) expect(String(audit[0].details.detail)).toMatch(detail);

      // No partial rows: no certificate, no reservation.
      expect(await ca.t.store.certificates.byRequest(r.requestId)).toBeUndefined();
      expect(await ca.t.store.certificates.reserved()).toEqual([]);
      expect(await ca.t.store.certificates.countByStatus()).toEqual(certificatesBefore);
      expect((await ca.t.store.audit.verify()).ok).toBe(true);
    },
  );

  it('answers 10,000 nested SEQUENCEs well within 100 ms of parsing (docs/security.md §7.3)', async () => {
    const deep = nested(10_000);
    const t0 = performance.now();
    expect(() => decodeRequestBytes(deep)).not.toThrow();
    const r = await submit(ca.t, { request: deep, template: 'SmartcardUser', requester: alice, source: null });
    expect(r.code).toBe('REQUEST_TOO_DEEP');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('issues with directory names when a SAN request attribute asks for another user (ESC6), and notes it', async () => {
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: 'SmartcardUser',
      requester: alice,
      source: null,
      attributes: 'CertificateTemplate:SmartcardUser\r\nSAN:upn=administrator@tessera.local',
    });
    expect(r.disposition).toBe('issued');
    expect(r.notes.some((n) => /SAN request attribute .* ignored/.test(n))).toBe(true);
    const [audit] = await ca.t.store.audit.list({ requestId: r.requestId });
    expect(JSON.stringify(audit.details.notes)).toContain('ESC6');
    expect(audit.details.san).toEqual(['upn:alice@tessera.local', 'email:alice@example.com']);
  });
});
