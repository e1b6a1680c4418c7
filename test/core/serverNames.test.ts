/**
 * Host names in Web Server requests (policy/parseHostName.ts): `CN=CA Administrator` for
 * Server Authentication — issued before — is denied NAME_INVALID at submission, stored and
 * audited, nothing issued; a DNS or IP common name is issued after approval with the name
 * also in the SAN (CA/B Baseline Requirements §7.1.4.2), which OpenSSL shows and matches
 * with -verify_hostname / -verify_ip (RFC 6125).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import type { Actor } from '../../src/ra/Actor.js';
import { resubmit } from '../../src/ra/resubmit.js';
import { submit } from '../../src/ra/submit.js';
import { expectRefused } from '../agents/support.js';
import { certText, opensslCsr, verifyCert } from '../support/openssl.js';
import { newTestCa, type TestCa } from '../support/tessera.js';

describe('Web Server host names', () => {
  let ca: TestCa;
  let admin: DirectoryUser;
  let manager: Actor;
  const send = (subject: string, addext: string[] = []) =>
    submit(ca.t, {
      request: opensslCsr('P-256', { subject, addext }).csr,
      template: 'WebServer',
      requester: admin,
      source: '192.0.2.10',
    });
  const issue = async (subject: string, addext: string[] = []) => {
    const pending = await send(subject, addext);
    expect(pending.disposition, `${pending.code} ${pending.message}`).toBe('pending');
    const r = await resubmit(ca.t, manager, pending.requestId);
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    return r.certificate!;
  };

  beforeAll(async () => {
    ca = await newTestCa();
    admin = await ca.user('admin', { groups: ['CA Administrators'] });
    await ca.user('manager', { groups: ['Certificate Managers'] });
    manager = await ca.actor('manager');
  });
  afterAll(async () => ca?.close());

  it('denies CN=CA Administrator for the Web Server template with NAME_INVALID, before it waits for a manager', async () => {
    const r = await send('/CN=CA Administrator');
    await expectRefused(ca.t, r, 'NAME_INVALID', { requester: 'admin' });
    const rec = (await ca.t.store.audit.list({ requestId: r.requestId })).find((a) => a.action === 'request.denied')!;
    expect((rec.details as { detail: string }).detail).toBe(
      'common name "CA Administrator" is not a valid host name: it contains spaces or control characters; a DNS name is letters, digits, hyphens and dots',
    );
  });

  it('denies an invalid dNSName beside a valid CN, and a wildcard the template does not allow', async () => {
    await expectRefused(
      ca.t,
      await send('/CN=www.example.com', ['subjectAltName=DNS:www.example.com.']),
      'NAME_INVALID',
      { requester: 'admin' },
    );
    await expectRefused(ca.t, await send('/CN=*.example.com'), 'NAME_NOT_ALLOWED', { requester: 'admin' });
  });

  it('issues a DNS common name with the same name as a dNSName, as openssl reads and matches it', async () => {
    const der = await issue('/O=Ignored/CN=WWW.Example.com');
    const text = certText(der);
    expect(text).toMatch(/Subject: CN\s?=\s?www\.example\.com\n/);
    expect(text).toMatch(/X509v3 Subject Alternative Name: \n\s+DNS:www\.example\.com\n/);
    expect(verifyCert(der, ca.chainPem, ['-purpose', 'sslserver', '-verify_hostname', 'www.example.com']).status).toBe(
      0,
    );
    expect(verifyCert(der, ca.chainPem, ['-verify_hostname', 'other.example.com']).status).not.toBe(0);
  });

  it('keeps the requested dNSNames after the CN, without repeating it', async () => {
    const text = certText(
      await issue('/CN=www.example.com', ['subjectAltName=DNS:api.example.com,DNS:www.example.com']),
    );
    expect(text).toMatch(/X509v3 Subject Alternative Name: \n\s+DNS:www\.example\.com, DNS:api\.example\.com\n/);
  });

  it('issues an IPv4 or IPv6 common name as an iPAddress, as openssl reads and matches it', async () => {
    const v4 = await issue('/CN=192.0.2.44');
    expect(certText(v4)).toMatch(/X509v3 Subject Alternative Name: \n\s+IP Address:192\.0\.2\.44\n/);
    expect(verifyCert(v4, ca.chainPem, ['-verify_ip', '192.0.2.44']).status).toBe(0);
    const v6 = await issue('/CN=2001:DB8::7', ['subjectAltName=DNS:v6.example.com']);
    const text = certText(v6);
    expect(text).toMatch(/Subject: CN\s?=\s?2001:db8::7\n/);
    expect(text).toMatch(
      /X509v3 Subject Alternative Name: \n\s+IP Address:2001:DB8:0:0:0:0:0:7, DNS:v6\.example\.com\n/,
    );
    expect(verifyCert(v6, ca.chainPem, ['-verify_ip', '2001:db8::7']).status).toBe(0);
  });
});
