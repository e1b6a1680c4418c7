/**
 * The enrollment station's code path in Node: the agent's PKCS#12 (an EnrollmentAgent
 * certificate issued through the normal flow, packed by `openssl pkcs12 -export`) opened
 * by the page code, the target's key and request co-signed by the agent, judged by
 * `openssl cms -verify`, and issued by a real CA for bob with bob's UPN and SID.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentWorld, type AgentWorld } from '../../agents/support.js';
import { certText, openssl, tmpDir } from '../../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../../support/tessera.js';
import { browserKeyOnDisk } from '../clientSupport.js';
import { allowAgent } from '../../../src/ra/admin/agentRestrictions.js';
import { submit } from '../../../src/ra/submit.js';
import { encodePkiData, requesterNameRegInfo } from '../../../src/x509/cmc/buildCmcRequest.js';
import { toPem } from '../../../src/x509/pem.js';
import {
  AgentCredentialError,
  describeAgentCertificate,
  loadAgentCredential,
} from '../../../src/client/web/agentCredential.js';
import { BROWSER_PROVIDER, buildEnrollmentRequest } from '../../../src/client/web/buildRequest.js';
import { parseTemplate } from '../../../src/client/web/template.js';

const PASSWORD = 'agent pfx password';
let ca: TestCa;
let w: AgentWorld;
let agentP12: Uint8Array;
const dir = tmpDir('agent-cred-');

function exportP12(keyPem: string, certDer: Uint8Array, name: string): Uint8Array {
  writeFileSync(join(dir, `${name}.key`), keyPem);
  writeFileSync(join(dir, `${name}.pem`), toPem(certDer, 'CERTIFICATE'));
  writeFileSync(join(dir, 'chain.pem'), ca.chainPem);
  const out = join(dir, `${name}.p12`);
  const r = openssl([
    'pkcs12',
    '-export',
    '-inkey',
    join(dir, `${name}.key`),
    '-in',
    join(dir, `${name}.pem`),
    '-certfile',
    join(dir, 'chain.pem'),
    '-name',
    name,
    '-passout',
    `pass:${PASSWORD}`,
    '-out',
    out,
  ]);
  expect(r.status, r.stderr).toBe(0);
  return new Uint8Array(readFileSync(out));
}

beforeAll(async () => {
  ca = await newTestCa();
  w = await agentWorld(ca);
  await allowAgent(ca.t, LOCAL, { agent: 'Help Desk', target: 'Smartcard Users', template: 'SmartcardLogon' });
  agentP12 = exportP12(w.agentCert.key.pem, w.agentCert.der, 'helpdesk agent');
});
afterAll(async () => ca?.close());

describe("the enrollment agent's credential in the page", () => {
  it('opens the PKCS#12, finds the Certificate Request Agent certificate and imports the key non-extractable', async () => {
    const cred = await loadAgentCredential(agentP12, PASSWORD, 'SHA-256');
    expect(Buffer.from(cred.certificate).equals(w.agentCert.der)).toBe(true);
    expect(cred.info.requestAgent).toBe(true);
    expect(cred.info.subject).toBe('Helpdesk');
    expect(cred.keyKind).toBe('ec');
  });

  it.each([
    ['no file', () => new Uint8Array(), PASSWORD, 'fileAgentPfx', /Choose your enrollment agent certificate file/],
    ['no password', () => agentP12, '', 'tbAgentPfxPassword', /Enter the password/],
    ['a wrong password', () => agentP12, 'wrong', 'tbAgentPfxPassword', /password does not open/],
    ['not a PKCS#12', () => new TextEncoder().encode('hello'), PASSWORD, 'fileAgentPfx', /not a PKCS#12/],
  ] as const)('refuses %s, naming the field', async (_n, file, pw, field, message) => {
    const e = await loadAgentCredential(file(), pw, 'SHA-256').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgentCredentialError);
    expect(e).toMatchObject({ field });
    expect((e as Error).message).toMatch(message);
  });

  it("refuses a certificate without Certificate Request Agent (bob's own smart card certificate)", async () => {
    const k = await browserKeyOnDisk('P-256');
    const t = parseTemplate('SmartcardLogon', {
      name: 'SmartcardLogon',
      display: 'Smartcard Logon',
      keySpec: 'exchange',
      rsaMin: '2048',
      ecCurves: 'P-256',
    });
    const req = await buildEnrollmentRequest({
      key: { spki: k.key.spki, keyKind: 'ec', signPkcs10: k.key.sign, signCmc: () => k.key.sign },
      hash: 'SHA-256',
      format: 'pkcs10',
      template: t,
      keySpec: 1,
      provider: BROWSER_PROVIDER,
    });
    const { setTemplateGrant } = await import('../../../src/ra/admin/templates.js');
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardLogon', 'Smartcard Users', true);
    const r = await submit(ca.t, {
      request: req.der,
      attributes: 'CertificateTemplate:SmartcardLogon\r\n',
      requester: w.bob,
      source: 'test',
    });
    expect(r.disposition, r.message ?? '').toBe('issued');
    expect(describeAgentCertificate(r.certificate!).requestAgent).toBe(false);
    const p12 = exportP12(readFileSync(k.keyFile, 'utf8'), r.certificate!, 'bob');
    const e = await loadAgentCredential(p12, PASSWORD, 'SHA-256').catch((x: unknown) => x);
    expect(e).toMatchObject({ field: 'fileAgentPfx' });
    expect((e as Error).message).toMatch(/not an enrollment agent certificate/);
  });

  it.each(['P-256', 'rsa'] as const)(
    "enrolls bob (%s key): both signatures verify with openssl cms; the CA issues bob's UPN and SID",
    async (alg) => {
      const cred = await loadAgentCredential(agentP12, PASSWORD, 'SHA-256');
      const k = await browserKeyOnDisk(alg);
      const t = parseTemplate('SmartcardLogon', {
        name: 'SmartcardLogon',
        display: 'Smartcard Logon',
        keySpec: 'exchange',
        rsaMin: '2048',
        ecCurves: 'P-256,P-384',
      });
      const regInfo = requesterNameRegInfo(`${w.domain}\\bob`);
      const req = await buildEnrollmentRequest({
        key: { spki: k.key.spki, keyKind: k.key.keyKind, signPkcs10: k.key.sign, signCmc: () => k.key.sign },
        hash: 'SHA-256',
        format: 'cmc',
        template: t,
        keySpec: 1,
        provider: BROWSER_PROVIDER,
        regInfo,
        agent: cred,
      });
      const out = join(k.dir, 'content.der');
      const certsOut = join(k.dir, 'carried.pem');
      const v = openssl(
        [
          'cms',
          '-verify',
          '-noverify',
          '-inform',
          'DER',
          '-binary',
          '-certfile',
          k.popCertFile,
          '-certsout',
          certsOut,
          '-out',
          out,
        ],
        Buffer.from(req.der),
      );
      expect(v.stderr).toContain('Verification successful');
      expect(readFileSync(out).equals(Buffer.from(encodePkiData({ csr: req.csr, regInfo })))).toBe(true);
      expect(readFileSync(out).includes(Buffer.from(`RequesterName=${w.domain}%5Cbob&`))).toBe(true);
      expect(
        openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], Buffer.from(req.der)).stdout.match(
          /version: (1|3)\n\s+d\.(issuerAndSerialNumber|subjectKeyIdentifier)/g,
        ),
      ).toHaveLength(2);
      expect(readFileSync(certsOut, 'utf8')).toBe(toPem(w.agentCert.der, 'CERTIFICATE'));

      const r = await submit(ca.t, {
        request: Buffer.from(req.der).toString('base64'),
        attributes: 'CertificateTemplate:SmartcardLogon\r\nUserAgent:test\r\n',
        requester: w.agent,
        source: 'test',
      });
      expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
      const text = certText(r.certificate!);
      expect(text).toContain('othername: UPN::bob@tessera.local');
      expect(text).not.toContain('helpdesk');
      // KB5014754 SID extension carries bob's SID.
      expect(openssl(['asn1parse', '-inform', 'DER'], r.certificate!).stdout).toContain('1.3.6.1.4.1.311.25.2');
      expect(r.certificate!.includes(Buffer.from(w.bob.sid!))).toBe(true);
      const row = await ca.t.store.requests.get(r.requestId);
      expect({ requester: row?.requester, subjectUser: row?.subjectUser, agent: row?.agent }).toEqual({
        requester: 'helpdesk',
        subjectUser: 'bob',
        agent: 'helpdesk',
      });
    },
  );
});
