/**
 * The whole submit → decide → issue path on SQLite and PostgreSQL: what each disposition
 * leaves in the requests, certificates and audit tables, approvals and denials by
 * certificate managers with separation of duties, approval re-running the policy, and
 * recovery of an issuance interrupted between recording intent and signing.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { TesseraError } from '../../src/errors/TesseraError.js';
import type { Actor } from '../../src/ra/Actor.js';
import { saveTemplate, setTemplateGrant } from '../../src/ra/admin/templates.js';
import { setUserEnabled } from '../../src/ra/admin/users.js';
import { denyRequest } from '../../src/ra/denyRequest.js';
import { recoverInterrupted } from '../../src/ra/recoverInterrupted.js';
import { resubmit } from '../../src/ra/resubmit.js';
import { retrieve } from '../../src/ra/retrieve.js';
import { submit } from '../../src/ra/submit.js';
import { verifyRequest } from '../../src/policy/verifyRequest.js';
import { BUILTIN_TEMPLATES } from '../../src/template/builtinTemplates.js';
import { decodeRequestBytes } from '../../src/x509/pem.js';
import { decodeRequest } from '../../src/x509/request.js';
import { opensslCsr, verifyCert } from '../support/openssl.js';
import { LOCAL, newTestCa, setGroupMember, type TestCa } from '../support/tessera.js';

async function rejection(p: Promise<unknown>): Promise<TesseraError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TesseraError) return e;
    throw e;
  }
  throw new Error('expected a TesseraError');
}

describe.each(['sqlite', 'postgres'] as const)('issuance on %s', (engine) => {
  let ca: TestCa;
  let alice: DirectoryUser;
  let carol: Actor;
  let dave: Actor;
  const approvalTemplate = 'SmartcardUserApproved';

  beforeAll(async () => {
    ca = await newTestCa({ engine });
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    const base = BUILTIN_TEMPLATES.find((x) => x.name === 'SmartcardUser')!;
    await saveTemplate(
      ca.t,
      LOCAL,
      {
        ...base,
        name: approvalTemplate,
        displayName: 'Smartcard User (approved)',
        enroll: ['Domain Users'],
        issuance: { ...base.issuance, managerApproval: true },
      },
      { create: true },
    );
    alice = await ca.user('alice');
    await ca.user('carol', { groups: ['Certificate Managers'] });
    await ca.user('dave', { groups: ['Certificate Managers'] });
    carol = await ca.actor('carol');
    dave = await ca.actor('dave');
  });
  afterAll(async () => ca?.close());

  const reservations = async () => (await ca.t.store.certificates.reserved()).length;

  it('issues at once: request issued, certificate stored, audited, chain intact', async () => {
    const { csr } = opensslCsr('P-256');
    const r = await submit(ca.t, { request: csr, template: 'SmartcardUser', requester: alice, source: '192.0.2.7' });
    expect(r).toMatchObject({ disposition: 'issued', code: null, message: 'Issued', template: 'SmartcardUser' });
    expect(r.requestId).toBeGreaterThan(0);
    expect(verifyCert(r.certificate!, ca.chainPem).stdout).toContain('OK');

    const req = await ca.t.store.requests.get(r.requestId);
    expect(req).toMatchObject({
      disposition: 'issued',
      serial: r.serial,
      requester: 'alice',
      subjectUser: 'alice',
      template: 'SmartcardUser',
      format: 'pkcs10',
      source: '192.0.2.7',
    });
    expect(req!.requestDer!.equals(decodeRequestBytes(csr))).toBe(true);
    const cert = await ca.t.store.certificates.get(r.serial!);
    expect(cert).toMatchObject({
      status: 'issued',
      requestId: r.requestId,
      subjectUser: 'alice',
      template: 'SmartcardUser',
      caId: 'issuing',
    });
    expect(cert!.der!.equals(r.certificate!)).toBe(true);
    // The recorded TBS is exactly what was signed.
    const tbs = await ca.t.store.certificates.tbs(r.serial!);
    expect(
      Buffer.from(AsnConvert.serialize(AsnConvert.parse(r.certificate!, Certificate).tbsCertificate)).equals(tbs!),
    ).toBe(true);
    expect(await reservations()).toBe(0);

    const [audit] = await ca.t.store.audit.list({ requestId: r.requestId });
    expect(audit).toMatchObject({
      action: 'certificate.issued',
      actor: 'alice',
      serial: r.serial,
      source: '192.0.2.7',
      target: 'alice',
    });
    expect(audit.details).toMatchObject({ template: 'SmartcardUser', sid: alice.sid, key: 'ECDSA P-256' });
    expect((await ca.t.store.audit.verify()).ok).toBe(true);
    expect((await retrieve(ca.t, { kind: 'user', user: alice, source: null }, r.requestId)).certificate?.serial).toBe(
      r.serial,
    );
  });

  it('pends a request that needs approval, then issues it when a manager resubmits it', async () => {
    const r = await submit(ca.t, {
      request: opensslCsr('rsa:2048').csr,
      template: approvalTemplate,
      requester: alice,
      source: '192.0.2.7',
    });
    expect(r).toMatchObject({ disposition: 'pending', code: null, serial: null, certificate: null });
    expect(r.message).toMatch(/^Taken Under Submission\. /);
    expect(await ca.t.store.certificates.byRequest(r.requestId)).toBeUndefined();
    expect((await ca.t.store.audit.list({ requestId: r.requestId })).map((a) => a.action)).toEqual(['request.pending']);

    const approved = await resubmit(ca.t, carol, r.requestId);
    expect(approved).toMatchObject({ requestId: r.requestId, disposition: 'issued' });
    expect(approved.notes).toContain('approved by carol');
    expect(verifyCert(approved.certificate!, ca.chainPem).stdout).toContain('OK');
    expect(await ca.t.store.requests.get(r.requestId)).toMatchObject({
      disposition: 'issued',
      serial: approved.serial,
      resolvedBy: 'carol',
      requester: 'alice',
    });
    const actions = (await ca.t.store.audit.list({ requestId: r.requestId })).map((a) => `${a.action}:${a.actor}`);
    expect(actions).toEqual(['certificate.issued:carol', 'request.pending:alice']);
    // Approving again finds nothing pending.
    expect((await rejection(resubmit(ca.t, dave, r.requestId))).code).toBe('REQUEST_NOT_PENDING');
  });

  it('refuses approval by the requester with APPROVAL_CONFLICT and leaves the request pending', async () => {
    const carolUser = (carol as Extract<Actor, { kind: 'user' }>).user;
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: approvalTemplate,
      requester: carolUser,
      source: null,
    });
    expect(r.disposition).toBe('pending');
    const err = await rejection(resubmit(ca.t, carol, r.requestId));
    expect(err.code).toBe('APPROVAL_CONFLICT');
    expect((await rejection(denyRequest(ca.t, carol, r.requestId))).code).toBe('APPROVAL_CONFLICT');
    expect((await ca.t.store.requests.get(r.requestId))?.disposition).toBe('pending');
    // A user without the manager role gets FORBIDDEN, and the local administrator must name a manager.
    expect((await rejection(resubmit(ca.t, { kind: 'user', user: alice, source: null }, r.requestId))).code).toBe(
      'FORBIDDEN',
    );
    expect((await rejection(resubmit(ca.t, LOCAL, r.requestId))).code).toBe('FORBIDDEN');
  });

  it('lets exactly one of two managers approving at once issue the certificate', async () => {
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: approvalTemplate,
      requester: alice,
      source: null,
    });
    const results = await Promise.allSettled([resubmit(ca.t, carol, r.requestId), resubmit(ca.t, dave, r.requestId)]);
    const won = results.filter((x) => x.status === 'fulfilled' && x.value.disposition === 'issued');
    const lost = results.filter((x) => x.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(((lost[0] as PromiseRejectedResult).reason as TesseraError).code).toBe('REQUEST_NOT_PENDING');
    const certs = (await ca.t.store.certificates.list({ subjectUser: 'alice', limit: 1000 })).filter(
      (c) => c.requestId === r.requestId,
    );
    expect(certs.map((c) => c.status)).toEqual(['issued']);
    expect(await reservations()).toBe(0);
  });

  it('denies a pending request for good when a manager denies it', async () => {
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: approvalTemplate,
      requester: alice,
      source: null,
    });
    const d = await denyRequest(ca.t, dave, r.requestId, 'no card on record');
    expect(d.message).toBe('The request was denied by a certificate manager. no card on record');
    expect(await ca.t.store.requests.get(r.requestId)).toMatchObject({
      disposition: 'denied',
      code: 'DENIED_BY_MANAGER',
      resolvedBy: 'dave',
    });
    const [audit] = await ca.t.store.audit.list({ requestId: r.requestId, action: 'request.denied' });
    expect(audit).toMatchObject({ actor: 'dave', details: { code: 'DENIED_BY_MANAGER', reason: 'no card on record' } });
    // A denied request can never be issued (docs/security.md §5.2).
    expect((await rejection(resubmit(ca.t, carol, r.requestId))).code).toBe('REQUEST_NOT_PENDING');
    expect(await ca.t.store.certificates.byRequest(r.requestId)).toBeUndefined();
  });

  it('denies on approval when the user was disabled after submitting (policy re-run)', async () => {
    const erin = await ca.user('erin');
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: approvalTemplate,
      requester: erin,
      source: null,
    });
    expect(r.disposition).toBe('pending');
    await setUserEnabled(ca.t, LOCAL, 'erin', false);
    const d = await resubmit(ca.t, carol, r.requestId);
    expect(d).toMatchObject({
      requestId: r.requestId,
      disposition: 'denied',
      code: 'USER_DISABLED',
      certificate: null,
    });
    expect(await ca.t.store.requests.get(r.requestId)).toMatchObject({ disposition: 'denied', code: 'USER_DISABLED' });
    const [audit] = await ca.t.store.audit.list({ requestId: r.requestId, action: 'request.denied' });
    expect(audit).toMatchObject({ actor: 'carol', details: { code: 'USER_DISABLED' } });
    expect(await ca.t.store.certificates.byRequest(r.requestId)).toBeUndefined();
  });

  it('denies on approval when the requester lost Enroll meanwhile', async () => {
    const frank = await ca.user('frank', { defaultGroup: false, groups: ['Enrollment Agents'] });
    await saveTemplate(ca.t, LOCAL, {
      ...(await ca.t.templates.get(approvalTemplate))!,
      enroll: ['Domain Users', 'Enrollment Agents'],
    });
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: approvalTemplate,
      requester: frank,
      source: null,
    });
    expect(r.disposition).toBe('pending');
    await setGroupMember(ca.t, LOCAL, 'Enrollment Agents', 'frank', false);
    expect(await resubmit(ca.t, carol, r.requestId)).toMatchObject({ disposition: 'denied', code: 'ENROLL_DENIED' });
  });

  it('records a request that lint refuses as failed, audited, with nothing reserved', async () => {
    const zoe = await ca.user('zoe');
    // A directory value the embedded directory would refuse, as an LDAP directory might hold it.
    const rec = (await ca.t.store.users.byUsername('zoe'))!;
    await ca.t.store.users.update(rec.id, { email: 'zoë@example.com' });
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: 'SmartcardUser',
      requester: (await ca.t.directory.findUser('zoe'))!,
      source: null,
    });
    expect(r).toMatchObject({ disposition: 'failed', code: 'INTERNAL', serial: null, certificate: null });
    expect(r.requestId).toBeGreaterThan(0);
    expect(await ca.t.store.requests.get(r.requestId)).toMatchObject({ disposition: 'failed', code: 'INTERNAL' });
    const [audit] = await ca.t.store.audit.list({ requestId: r.requestId });
    expect(audit).toMatchObject({ action: 'request.failed', details: { code: 'INTERNAL' } });
    expect(String(audit.details.detail)).toMatch(/malformed e-mail zoë@example.com/);
    expect(await reservations()).toBe(0);
    expect(zoe.username).toBe('zoe');
  });

  it('marks an issuance interrupted after recording intent as failed and abandons its serial', async () => {
    const t = ca.t;
    const decoded = decodeRequest(decodeRequestBytes(opensslCsr('P-256').csr));
    const template = await t.templates.get('SmartcardUser');
    const decision = verifyRequest({
      request: decoded,
      templateName: 'SmartcardUser',
      template,
      requester: alice,
      subject: alice,
      agentSignatures: [],
      agentPermitted: false,
      attributes: {},
      nameOwners: { upn: [alice], email: [alice] },
      approvedBy: null,
    });
    if (decision.kind !== 'issue') throw new Error(`policy said ${decision.kind}`);
    const old = new Date(t.now().getTime() - 10 * 60_000);
    let requestId = 0;
    // The process "dies" after the intent commit and before signing.
    await expect(
      t.issuing.issue(t.issuing.prepare(decision.profile), async (intent) => {
        await t.store.batch(async (tx) => {
          requestId = await tx.requests.insert({
            submittedAt: old,
            requester: 'alice',
            subjectUser: 'alice',
            agent: null,
            template: 'SmartcardUser',
            format: 'pkcs10',
            requestDer: decoded.der,
            requestSha256: '00'.repeat(32),
            attributes: {},
            disposition: 'issuing',
            code: null,
            message: 'Issuing',
            source: null,
          });
          await tx.certificates.reserve({ ...intent, requestId }, old);
        });
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    // An in-flight issuance of another node, started just now, must not be touched.
    const fresh = await t.store.requests.insert({
      submittedAt: t.now(),
      requester: 'alice',
      subjectUser: 'alice',
      agent: null,
      template: 'SmartcardUser',
      format: 'pkcs10',
      requestDer: null,
      requestSha256: '11'.repeat(32),
      attributes: {},
      disposition: 'issuing',
      code: null,
      message: 'Issuing',
      source: null,
    });

    expect(await recoverInterrupted(t, 5 * 60_000)).toBe(1);
    const req = await t.store.requests.get(requestId);
    expect(req).toMatchObject({ disposition: 'failed', code: 'INTERNAL' });
    expect(req!.message).toMatch(/interrupted/);
    const [reservation] = (await t.store.certificates.list({ subjectUser: 'alice', limit: 1000 })).filter(
      (c) => c.requestId === requestId,
    );
    expect(reservation).toMatchObject({ status: 'abandoned', der: null });
    expect((await t.store.audit.list({ requestId, action: 'request.failed' })).length).toBe(1);
    expect((await t.store.requests.get(fresh))?.disposition).toBe('issuing');
    expect((await t.store.audit.verify()).ok).toBe(true);
    // Clean up the simulated in-flight row so other tests see no stray state.
    await t.store.requests.resolve(fresh, ['issuing'], {
      disposition: 'failed',
      code: 'INTERNAL',
      message: 'test',
      resolvedAt: t.now(),
      resolvedBy: null,
    });
  });
});
