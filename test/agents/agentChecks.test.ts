/**
 * Every way an enroll-on-behalf request must fail (ESC3, docs/security.md §4): each
 * refusal has its own code, is stored as a denied request, is audited with the agent and
 * (when known) the target, and nothing is issued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowAgent, removeAgentRestriction, setPrivilegedGroup } from '../../src/ra/admin/agentRestrictions.js';
import { createGroup } from '../../src/ra/admin/groups.js';
import { saveTemplate } from '../../src/ra/admin/templates.js';
import { revoke } from '../../src/ra/revoke.js';
import { Tessera } from '../../src/Tessera.js';
import { requesterNameRegInfo } from '../../src/x509/cmc/buildCmcRequest.js';
import { readSignerCertificate } from '../../src/x509/cmc/signerCertificate.js';
import { OID } from '../../src/x509/oids.js';
import { certText } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { pkiData, regInfo, signedCmc, tcr } from '../cmc/craft.js';
import {
  agentWorld,
  csrFor,
  eoboCmc,
  expectRefused,
  issueTo,
  newKey,
  submitAs,
  type AgentWorld,
  type IssuedCert,
} from './support.js';

describe('enroll-on-behalf refusals', () => {
  let ca: TestCa;
  let w: AgentWorld;
  let bobName: string;
  beforeAll(async () => {
    ca = await newTestCa();
    w = await agentWorld(ca);
    bobName = `${w.domain}\\bob`;
    await allowAgent(ca.t, LOCAL, { agent: 'Help Desk', target: 'Smartcard Users', template: 'SmartcardLogon' });
  });
  afterAll(async () => ca?.close());

  const forBob = (agent: IssuedCert = w.agentCert) => eoboCmc({ target: bobName, agent });

  /** A CMC for `target` signed by the request key and by every agent given (certificates carried). */
  async function multiAgent(target: string, agents: IssuedCert[]): Promise<Buffer> {
    const key = newKey();
    const content = pkiData({
      controls: [regInfo(2, requesterNameRegInfo(target))],
      requests: [tcr(1, await csrFor(key))],
    });
    return signedCmc(
      content,
      [{ as: { requestSpki: key.spki }, key }, ...agents.map((a) => ({ as: { certificate: a.der }, key: a.key }))],
      agents.map((a) => a.der),
    );
  }

  async function withTemplate(
    name: string,
    change: (t: Record<string, unknown>) => Record<string, unknown>,
    body: () => Promise<void>,
  ) {
    const before = (await ca.t.templates.get(name))!;
    await saveTemplate(ca.t, LOCAL, change({ ...before }));
    try {
      await body();
    } finally {
      await saveTemplate(ca.t, LOCAL, before);
    }
  }

  it('baseline: the same request with a permitted agent is issued (so the refusals below are about their one defect)', async () => {
    const r = await submitAs(ca.t, w.agent, (await forBob()).der, 'SmartcardLogon');
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
  });

  it('AGENT_NOT_PERMITTED: the target is outside the groups the agent may enroll', async () => {
    await ca.user('carl');
    const r = await submitAs(
      ca.t,
      w.agent,
      (await eoboCmc({ target: `${w.domain}\\carl`, agent: w.agentCert })).der,
      'SmartcardLogon',
    );
    await expectRefused(ca.t, r, 'AGENT_NOT_PERMITTED', { requester: 'helpdesk', target: 'carl' });
  });

  it('AGENT_NOT_PERMITTED: the template is not one the agent may enroll for', async () => {
    const r = await submitAs(ca.t, w.agent, (await forBob()).der, 'SmartcardUser');
    await expectRefused(ca.t, r, 'AGENT_NOT_PERMITTED', { requester: 'helpdesk', target: 'bob' });
  });

  it('AGENT_NOT_PERMITTED: the agent is not in any group a restriction names', async () => {
    const eve = await ca.user('eve', { groups: ['Enrollment Agents'] });
    const eveCert = await issueTo(ca.t, eve, 'EnrollmentAgent');
    const r = await submitAs(ca.t, eve, (await forBob(eveCert)).der, 'SmartcardLogon');
    await expectRefused(ca.t, r, 'AGENT_NOT_PERMITTED', { requester: 'eve', target: 'bob' });
  });

  it('AGENT_NOT_PERMITTED: a request signed by one agent and submitted by another', async () => {
    const mallory = await ca.user('mallory', { groups: ['Enrollment Agents', 'Help Desk'] });
    const r = await submitAs(ca.t, mallory, (await forBob()).der, 'SmartcardLogon');
    await expectRefused(ca.t, r, 'AGENT_NOT_PERMITTED', { requester: 'mallory', target: 'bob' });
    const audit = (await ca.t.store.audit.list({ requestId: r.requestId })).find((a) => a.action === 'request.denied')!;
    expect(audit.details.detail).toBe('the request is signed by helpdesk but submitted by mallory');
  });

  it('PRIVILEGED_TARGET: a CA administrator cannot be enrolled until an explicit exception names the group', async () => {
    await ca.user('carol', { groups: ['Smartcard Users', 'CA Administrators'] });
    const req = async () =>
      submitAs(
        ca.t,
        w.agent,
        (await eoboCmc({ target: `${w.domain}\\carol`, agent: w.agentCert })).der,
        'SmartcardLogon',
      );
    await expectRefused(ca.t, await req(), 'PRIVILEGED_TARGET', { requester: 'helpdesk', target: 'carol' });
    // An exception must name the privileged group (or the user); one for Smartcard Users is refused.
    await expect(
      allowAgent(ca.t, LOCAL, {
        agent: 'Help Desk',
        target: 'Smartcard Users',
        template: 'SmartcardLogon',
        allowPrivileged: true,
      }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const exception = await allowAgent(ca.t, LOCAL, {
      agent: 'Help Desk',
      target: 'CA Administrators',
      template: 'SmartcardLogon',
      allowPrivileged: true,
    });
    const ok = await req();
    expect(ok.disposition, `${ok.code} ${ok.message}`).toBe('issued');
    expect(certText(ok.certificate!)).toContain('othername: UPN::carol@tessera.local');
    await removeAgentRestriction(ca.t, LOCAL, exception.id);
    await expectRefused(ca.t, await req(), 'PRIVILEGED_TARGET', { requester: 'helpdesk', target: 'carol' });
  });

  it('PRIVILEGED_TARGET: members of a group added to the privileged list, until an exception names the user', async () => {
    await createGroup(ca.t, LOCAL, 'Tier0');
    await ca.user('dave', { groups: ['Smartcard Users', 'Tier0'] });
    const req = async () =>
      submitAs(
        ca.t,
        w.agent,
        (await eoboCmc({ target: `${w.domain}\\dave`, agent: w.agentCert })).der,
        'SmartcardLogon',
      );
    expect((await req()).disposition).toBe('issued'); // not privileged yet
    await setPrivilegedGroup(ca.t, LOCAL, 'Tier0', true);
    await expectRefused(ca.t, await req(), 'PRIVILEGED_TARGET', { requester: 'helpdesk', target: 'dave' });
    await allowAgent(ca.t, LOCAL, {
      agent: 'user:helpdesk',
      target: 'user:dave',
      template: 'SmartcardLogon',
      allowPrivileged: true,
    });
    expect((await req()).disposition).toBe('issued');
  });

  it('AGENT_CERT_EXPIRED: the agent certificate is past its notAfter (clock injected)', async () => {
    const notAfter = readSignerCertificate(w.agentCert.der).notAfter;
    const later = await Tessera.open(ca.dir, { now: () => new Date(notAfter.getTime() + 86_400_000) });
    try {
      const r = await submitAs(later, w.agent, (await forBob()).der, 'SmartcardLogon');
      await expectRefused(later, r, 'AGENT_CERT_EXPIRED', { requester: 'helpdesk', target: 'bob' });
    } finally {
      await later.close();
    }
  });

  it('AGENT_CERT_EXPIRED: the agent certificate is not valid yet (clock injected)', async () => {
    const notBefore = readSignerCertificate(w.agentCert.der).notBefore;
    const earlier = await Tessera.open(ca.dir, { now: () => new Date(notBefore.getTime() - 60_000) });
    try {
      const r = await submitAs(earlier, w.agent, (await forBob()).der, 'SmartcardLogon');
      await expectRefused(earlier, r, 'AGENT_CERT_EXPIRED', { requester: 'helpdesk', target: 'bob' });
    } finally {
      await earlier.close();
    }
  });

  it('AGENT_CERT_REVOKED: the agent certificate was revoked', async () => {
    const second = await issueTo(ca.t, w.agent, 'EnrollmentAgent');
    expect((await submitAs(ca.t, w.agent, (await forBob(second)).der, 'SmartcardLogon')).disposition).toBe('issued');
    await revoke(ca.t, LOCAL, second.serial, 'keyCompromise');
    const r = await submitAs(ca.t, w.agent, (await forBob(second)).der, 'SmartcardLogon');
    await expectRefused(ca.t, r, 'AGENT_CERT_REVOKED', { requester: 'helpdesk', target: 'bob' });
  });

  it('approval re-runs the agent checks: an agent certificate revoked while the request waited is refused', async () => {
    const { resubmit } = await import('../../src/ra/resubmit.js');
    const manager = await ca.user('manny', { groups: ['Certificate Managers'] });
    const third = await issueTo(ca.t, w.agent, 'EnrollmentAgent');
    await withTemplate(
      'SmartcardLogon',
      (t) => ({ ...t, issuance: { managerApproval: true, agentSignatures: 0, agentPolicy: null } }),
      async () => {
        const pending = await submitAs(ca.t, w.agent, (await forBob(third)).der, 'SmartcardLogon');
        expect(pending.disposition, `${pending.code} ${pending.message}`).toBe('pending');
        await revoke(ca.t, LOCAL, third.serial, 'keyCompromise');
        const r = await resubmit(ca.t, { kind: 'user', user: manager, source: 'test' }, pending.requestId);
        expect({ disposition: r.disposition, code: r.code }).toEqual({
          disposition: 'denied',
          code: 'AGENT_CERT_REVOKED',
        });
        expect(await ca.t.store.certificates.byRequest(pending.requestId)).toBeUndefined();
        const audit = (await ca.t.store.audit.list({ requestId: pending.requestId })).find(
          (a) => a.action === 'request.denied',
        )!;
        expect({ actor: audit.actor, target: audit.target, agent: audit.details.agent }).toEqual({
          actor: 'manny',
          target: 'bob',
          agent: 'helpdesk',
        });
      },
    );
  });

  it('AGENT_EKU_MISSING: signed with a certificate of ours that is not an enrollment agent certificate', async () => {
    const userCert = await issueTo(ca.t, w.agent, 'User');
    expect(readSignerCertificate(userCert.der).ekus).not.toContain(OID.certificateRequestAgent);
    const r = await submitAs(ca.t, w.agent, (await forBob(userCert)).der, 'SmartcardLogon');
    await expectRefused(ca.t, r, 'AGENT_EKU_MISSING', { requester: 'helpdesk', target: 'bob' });
  });

  it("AGENT_EKU_MISSING: the template requires an application policy the agent's certificate lacks", async () => {
    await withTemplate(
      'SmartcardLogon',
      (t) => ({ ...t, issuance: { managerApproval: false, agentSignatures: 1, agentPolicy: '1.3.6.1.4.1.99999.1' } }),
      async () => {
        const r = await submitAs(ca.t, w.agent, (await forBob()).der, 'SmartcardLogon');
        await expectRefused(ca.t, r, 'AGENT_EKU_MISSING', { requester: 'helpdesk', target: 'bob' });
      },
    );
  });

  it('AGENT_CERT_UNTRUSTED: an enrollment agent certificate from another CA with the same names', async () => {
    const other = await newTestCa();
    try {
      const otherAgent = await other.user('helpdesk', { groups: ['Enrollment Agents'] });
      const foreign = await issueTo(other.t, otherAgent, 'EnrollmentAgent');
      // Same issuer name as ours ("Test Issuing CA"): only the signature tells them apart.
      expect(
        readSignerCertificate(foreign.der).issuerDer.equals(readSignerCertificate(w.agentCert.der).issuerDer),
      ).toBe(true);
      const r = await submitAs(ca.t, w.agent, (await forBob(foreign)).der, 'SmartcardLogon');
      await expectRefused(ca.t, r, 'AGENT_CERT_UNTRUSTED', { requester: 'helpdesk', target: 'bob' });
    } finally {
      await other.close();
    }
  });

  it("AGENT_CERT_UNTRUSTED: a foreign certificate planted in this CA's database still fails the CA signature check", async () => {
    const other = await newTestCa();
    try {
      const foreign = await issueTo(
        other.t,
        await other.user('helpdesk', { groups: ['Enrollment Agents'] }),
        'EnrollmentAgent',
      );
      const c = readSignerCertificate(foreign.der);
      // As if someone wrote the row directly into the certificates table.
      await ca.t.store.transaction(async (tx) => {
        await tx.certificates.reserve(
          {
            serial: c.serial,
            caId: ca.t.config.issuingCa,
            requestId: 0,
            subject: 'planted',
            subjectUser: 'helpdesk',
            template: 'EnrollmentAgent',
            notBefore: c.notBefore,
            notAfter: c.notAfter,
            tbs: c.tbs,
          },
          new Date(),
        );
        await tx.certificates.markIssued(c.serial, foreign.der, new Date());
      });
      const r = await submitAs(ca.t, w.agent, (await forBob(foreign)).der, 'SmartcardLogon');
      await expectRefused(ca.t, r, 'AGENT_CERT_UNTRUSTED', { requester: 'helpdesk', target: 'bob' });
      const audit = (await ca.t.store.audit.list({ requestId: r.requestId })).find(
        (a) => a.action === 'request.denied',
      )!;
      expect(audit.details.detail).toMatch(/signature does not verify with that CA's key/);
    } finally {
      await other.close();
    }
  });

  it('AGENT_SIGNATURE_INVALID: the agent SignerInfo is not signed by the agent certificate key', async () => {
    const forged = { ...w.agentCert, key: newKey() };
    const r = await submitAs(ca.t, w.agent, (await forBob(forged)).der, 'SmartcardLogon');
    await expectRefused(ca.t, r, 'AGENT_SIGNATURE_INVALID', { requester: 'helpdesk', target: 'bob' });
  });

  it('SIGNATURES_REQUIRED: a template needing one agent signature gets none (RequesterName alone is ignored)', async () => {
    await withTemplate(
      'SmartcardLogon',
      (t) => ({
        ...t,
        issuance: { managerApproval: false, agentSignatures: 1, agentPolicy: OID.certificateRequestAgent },
      }),
      async () => {
        const r = await submitAs(ca.t, w.agent, (await eoboCmc({ target: bobName })).der, 'SmartcardLogon');
        // Without an agent signature the RequesterName names nobody: the subject is the submitter.
        await expectRefused(ca.t, r, 'SIGNATURES_REQUIRED', { requester: 'helpdesk', target: 'helpdesk' });
      },
    );
  });

  it('SIGNATURES_REQUIRED and success with two agents when the template needs two signatures', async () => {
    const eve = (await ca.t.directory.findUser('eve'))!;
    const eveCert = await issueTo(ca.t, eve, 'EnrollmentAgent');
    const rule = await allowAgent(ca.t, LOCAL, {
      agent: 'user:eve',
      target: 'Smartcard Users',
      template: 'SmartcardLogon',
    });
    try {
      await withTemplate(
        'SmartcardLogon',
        (t) => ({
          ...t,
          issuance: { managerApproval: false, agentSignatures: 2, agentPolicy: OID.certificateRequestAgent },
        }),
        async () => {
          const one = await submitAs(ca.t, w.agent, await multiAgent(bobName, [w.agentCert]), 'SmartcardLogon');
          await expectRefused(ca.t, one, 'SIGNATURES_REQUIRED', { requester: 'helpdesk', target: 'bob' });
          const two = await submitAs(
            ca.t,
            w.agent,
            await multiAgent(bobName, [w.agentCert, eveCert]),
            'SmartcardLogon',
          );
          expect(two.disposition, `${two.code} ${two.message}`).toBe('issued');
        },
      );
    } finally {
      await removeAgentRestriction(ca.t, LOCAL, rule.id);
    }
  });

  it('an extra agent signature must hold up too: not permitted, or from another CA', async () => {
    const eve = (await ca.t.directory.findUser('eve'))!;
    const eveCert = await issueTo(ca.t, eve, 'EnrollmentAgent');
    const r = await submitAs(ca.t, w.agent, await multiAgent(bobName, [w.agentCert, eveCert]), 'SmartcardLogon');
    await expectRefused(ca.t, r, 'AGENT_NOT_PERMITTED', { requester: 'helpdesk', target: 'bob' });
    const other = await newTestCa();
    try {
      const foreign = await issueTo(
        other.t,
        await other.user('helpdesk', { groups: ['Enrollment Agents'] }),
        'EnrollmentAgent',
      );
      const r2 = await submitAs(ca.t, w.agent, await multiAgent(bobName, [w.agentCert, foreign]), 'SmartcardLogon');
      await expectRefused(ca.t, r2, 'AGENT_CERT_UNTRUSTED', { requester: 'helpdesk', target: 'bob' });
    } finally {
      await other.close();
    }
  });

  it('USER_UNKNOWN: RequesterName names no directory account (or another domain)', async () => {
    for (const name of [`${w.domain}\\nobody`, 'OTHERDOMAIN\\bob']) {
      const r = await submitAs(
        ca.t,
        w.agent,
        (await eoboCmc({ target: name, agent: w.agentCert })).der,
        'SmartcardLogon',
      );
      await expectRefused(ca.t, r, 'USER_UNKNOWN', { requester: 'helpdesk', target: null });
      const audit = (await ca.t.store.audit.list({ requestId: r.requestId })).find(
        (a) => a.action === 'request.denied',
      )!;
      expect(audit.details).toMatchObject({ agent: 'helpdesk', detail: `RequesterName ${name}` });
    }
  });

  it('USER_DISABLED: RequesterName names a disabled account', async () => {
    await ca.user('frank', { groups: ['Smartcard Users'], enabled: false });
    const r = await submitAs(
      ca.t,
      w.agent,
      (await eoboCmc({ target: `${w.domain}\\frank`, agent: w.agentCert })).der,
      'SmartcardLogon',
    );
    await expectRefused(ca.t, r, 'USER_DISABLED', { requester: 'helpdesk', target: 'frank' });
  });

  it('RequesterName in a self-service request is ignored and audited: the certificate is the submitter’s', async () => {
    const { setTemplateGrant } = await import('../../src/ra/admin/templates.js');
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    const alice = await ca.user('alice');
    const r = await submitAs(ca.t, alice, (await eoboCmc({ target: bobName })).der, 'SmartcardUser');
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    const text = certText(r.certificate!);
    expect(text).toContain('othername: UPN::alice@tessera.local');
    expect(text).not.toContain('bob@');
    const row = await ca.t.store.requests.get(r.requestId);
    expect({ subjectUser: row!.subjectUser, agent: row!.agent }).toEqual({ subjectUser: 'alice', agent: null });
    const issued = (await ca.t.store.audit.list({ requestId: r.requestId })).find(
      (a) => a.action === 'certificate.issued',
    )!;
    expect(issued.details.notes).toContain(`RequesterName "${bobName}" in a self-service request ignored`);
  });
});
