/**
 * Enrollment on behalf of other users, end to end in process on SQLite and PostgreSQL:
 * an agent gets an EnrollmentAgent certificate through the normal flow, is allowed by a
 * restriction, and enrolls bob with a Windows-shaped CMC (and the PKCS#7 form); bob's
 * certificate carries bob's names and SID, and the audit names both.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowAgent } from '../../src/ra/admin/agentRestrictions.js';
import { decodeSidExtensionValue } from '../../src/x509/generalNames.js';
import { OID } from '../../src/x509/oids.js';
import { certText } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { pkcs7OnBehalf } from '../cmc/pkijsPkcs7.js';
import {
  agentWorld,
  csrFor,
  eoboCmc,
  expectRefused,
  newKey,
  submitAs,
  verifyLeaf,
  type AgentWorld,
} from './support.js';

function sidOf(der: Buffer): string | null {
  const ext = AsnConvert.parse(der, Certificate).tbsCertificate.extensions?.find(
    (e) => e.extnID === OID.ntdsCaSecurityExt,
  );
  return ext ? decodeSidExtensionValue(new Uint8Array(ext.extnValue.buffer)) : null;
}

describe.each(['sqlite', 'postgres'] as const)('enroll on behalf on %s', (engine) => {
  let ca: TestCa;
  let w: AgentWorld;
  beforeAll(async () => {
    ca = await newTestCa({ engine });
    w = await agentWorld(ca);
  });
  afterAll(async () => ca?.close());

  it('the agent certificate came through the normal flow and carries Certificate Request Agent', () => {
    const text = certText(w.agentCert.der);
    expect(text).toMatch(/X509v3 Extended Key Usage: *\n *1\.3\.6\.1\.4\.1\.311\.20\.2\.1\n/);
    expect(text).toContain('othername: UPN::helpdesk@tessera.local');
    const v = verifyLeaf(w.agentCert.der, ca.chainPem);
    expect(v.stdout, v.stderr).toContain('OK');
  });

  it('refuses every on-behalf request while no agent restriction exists (default none)', async () => {
    const { der } = await eoboCmc({ target: `${w.domain}\\bob`, agent: w.agentCert });
    const r = await submitAs(ca.t, w.agent, der, 'SmartcardLogon');
    await expectRefused(ca.t, r, 'AGENT_NOT_PERMITTED', { requester: 'helpdesk', target: 'bob' });
  });

  it("issues bob's SmartcardLogon certificate after `agent allow`: bob's UPN and SID, audit names agent and bob", async () => {
    const rule = await allowAgent(ca.t, LOCAL, {
      agent: 'Help Desk',
      target: 'Smartcard Users',
      template: 'SmartcardLogon',
    });
    const { der, targetKey } = await eoboCmc({ target: `${w.domain}\\bob`, agent: w.agentCert });
    const r = await submitAs(ca.t, w.agent, der, 'SmartcardLogon');
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    const cert = r.certificate!;
    expect(verifyLeaf(cert, ca.chainPem).stdout).toContain('OK');
    const text = certText(cert);
    expect(text).toContain('othername: UPN::bob@tessera.local');
    expect(text).not.toContain('helpdesk');
    expect(text).toMatch(/Subject: .*CN ?= ?Bob/);
    expect(text).toContain('Microsoft Smartcard Login');
    expect(sidOf(cert)).toBe(w.bob.sid);
    // The certificate is for the key the request proved possession of: bob's new key.
    expect(AsnConvert.serialize(AsnConvert.parse(cert, Certificate).tbsCertificate.subjectPublicKeyInfo)).toEqual(
      new Uint8Array(targetKey.spki).buffer,
    );

    const row = await ca.t.store.requests.get(r.requestId);
    expect({
      requester: row!.requester,
      subjectUser: row!.subjectUser,
      agent: row!.agent,
      format: row!.format,
    }).toEqual({ requester: 'helpdesk', subjectUser: 'bob', agent: 'helpdesk', format: 'cmc' });
    expect((await ca.t.store.certificates.get(r.serial!))?.subjectUser).toBe('bob');
    const issued = (await ca.t.store.audit.list({ requestId: r.requestId })).find(
      (a) => a.action === 'certificate.issued',
    )!;
    expect(issued.actor).toBe('helpdesk');
    expect(issued.target).toBe('bob');
    expect(issued.details).toMatchObject({
      agent: 'helpdesk',
      requester: 'helpdesk',
      template: 'SmartcardLogon',
      sid: w.bob.sid,
    });
    expect(JSON.stringify(issued.details.notes)).toContain(
      `agent restriction ${rule.id} lets helpdesk enroll bob for SmartcardLogon`,
    );
  });

  it('accepts the PKCS#7 enroll-on-behalf form (RequesterName as a signed name-value pair)', async () => {
    const key = newKey();
    const der = await pkcs7OnBehalf({
      csr: await csrFor(key),
      requesterName: `${w.domain}\\bob`,
      agentCertificate: w.agentCert.der,
      agentKey: w.agentCert.key.privateKey,
    });
    const r = await submitAs(ca.t, w.agent, der, 'SmartcardLogon');
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    expect(certText(r.certificate!)).toContain('othername: UPN::bob@tessera.local');
    expect((await ca.t.store.requests.get(r.requestId))?.format).toBe('pkcs7');
  });
});
