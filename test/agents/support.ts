/**
 * Enrollment agent test helpers: real keys (node:crypto), real PKCS#10 and CMC built by
 * the production encoders, certificates issued by a real Tessera through ra/submit.ts.
 */
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import type { SubmitResult } from '../../src/ra/recordDecision.js';
import { submit } from '../../src/ra/submit.js';
import type { Tessera } from '../../src/Tessera.js';
import { buildCsr, type RequestHash, type SignCallback } from '../../src/x509/buildCsr.js';
import { buildCmcRequest, requesterNameRegInfo } from '../../src/x509/cmc/buildCmcRequest.js';
import { toPem } from '../../src/x509/pem.js';
import { openssl, tmpFile, type OpensslResult } from '../support/openssl.js';
import { LOCAL, type TestCa } from '../support/tessera.js';

/**
 * `openssl verify` of a DER certificate against the CA chain. (test/support's verifyCert
 * leaves an empty line in the PEM when the base64 is a multiple of 64 characters, which
 * OpenSSL 3 refuses; toPem does not.)
 */
export function verifyLeaf(der: Uint8Array, chainPem: string, extra: string[] = []): OpensslResult {
  return openssl([
    'verify',
    '-CAfile',
    tmpFile(chainPem, 'chain.pem'),
    ...extra,
    tmpFile(toPem(der, 'CERTIFICATE'), 'leaf.pem'),
  ]);
}

export interface TestKey {
  readonly spki: Buffer;
  readonly keyKind: 'rsa' | 'ec';
  readonly hash: RequestHash;
  readonly sign: SignCallback;
  readonly privateKey: KeyObject;
  readonly pem: string;
}

export function newKey(kind: 'P-256' | 'RSA-2048' = 'P-256'): TestKey {
  const { publicKey, privateKey } =
    kind === 'P-256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    keyKind: kind === 'P-256' ? 'ec' : 'rsa',
    hash: 'SHA-256',
    sign: async (data) => nodeSign('sha256', data, privateKey),
    privateKey,
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

export async function csrFor(key: TestKey, template?: string): Promise<Buffer> {
  return Buffer.from(
    await buildCsr({ spki: key.spki, keyKind: key.keyKind, hash: key.hash, sign: key.sign, template }),
  );
}

export interface IssuedCert {
  readonly der: Buffer;
  readonly serial: string;
  readonly key: TestKey;
}

/** Issue `template` to `user` through the normal flow (a PKCS#10 submitted by the user). */
export async function issueTo(t: Tessera, user: DirectoryUser, template: string, key = newKey()): Promise<IssuedCert> {
  const r = await submit(t, { request: await csrFor(key), template, requester: user, source: 'test' });
  expect(r.disposition, `${template} for ${user.username}: ${r.code} ${r.message}`).toBe('issued');
  return { der: r.certificate!, serial: r.serial!, key };
}

export interface EoboOptions {
  /** RequesterName (DOMAIN\user); omitted: no regInfo control. */
  readonly target?: string;
  readonly template?: string;
  readonly targetKey?: TestKey;
  /** The agent's certificate and key; omitted: only the proof-of-possession signature. */
  readonly agent?: { readonly der: Uint8Array; readonly key: TestKey };
}

/** A Windows-shaped CMC enroll-on-behalf request, as the CLI and the browser build it. */
export async function eoboCmc(o: EoboOptions): Promise<{ der: Buffer; targetKey: TestKey }> {
  const targetKey = o.targetKey ?? newKey();
  const csr = await csrFor(targetKey, o.template);
  const der = await buildCmcRequest({
    csr,
    spki: targetKey.spki,
    keyKind: targetKey.keyKind,
    hash: targetKey.hash,
    sign: targetKey.sign,
    regInfo: o.target === undefined ? undefined : requesterNameRegInfo(o.target),
    agent: o.agent && {
      certificate: o.agent.der,
      keyKind: o.agent.key.keyKind,
      hash: o.agent.key.hash,
      sign: o.agent.key.sign,
    },
  });
  return { der: Buffer.from(der), targetKey };
}

export interface AgentWorld {
  readonly ca: TestCa;
  /** helpdesk: in Enrollment Agents and Help Desk, holds an EnrollmentAgent certificate. */
  readonly agent: DirectoryUser;
  readonly agentCert: IssuedCert;
  readonly bob: DirectoryUser;
  readonly domain: string;
}

/**
 * A CA with an enrollment agent (helpdesk) holding an EnrollmentAgent certificate issued
 * through the normal flow, a target user bob, and Enroll on SmartcardLogon and
 * SmartcardUser for Enrollment Agents. No agent restriction exists yet.
 */
export async function agentWorld(ca: TestCa): Promise<AgentWorld> {
  const t = ca.t;
  const { createGroup } = await import('../../src/ra/admin/groups.js');
  await createGroup(t, LOCAL, 'Help Desk');
  await createGroup(t, LOCAL, 'Smartcard Users');
  const agent = await ca.user('helpdesk', { groups: ['Enrollment Agents', 'Help Desk'] });
  const bob = await ca.user('bob', { groups: ['Smartcard Users'] });
  for (const tpl of ['SmartcardLogon', 'SmartcardUser'])
    await setTemplateGrant(t, LOCAL, tpl, 'Enrollment Agents', true);
  const agentCert = await issueTo(t, agent, 'EnrollmentAgent');
  return { ca, agent, agentCert, bob, domain: t.config.domain.name };
}

/** Submit as `requester`, in process (the REST and certsrv entries call the same function). */
export function submitAs(
  t: Tessera,
  requester: DirectoryUser,
  request: Uint8Array | string,
  template?: string,
): Promise<SubmitResult> {
  return submit(t, { request, template, requester, source: '192.0.2.10' });
}

/**
 * The request was refused with `code`, recorded as denied, audited with both identities,
 * and no certificate was issued or even reserved for it.
 */
export async function expectRefused(
  t: Tessera,
  r: SubmitResult,
  code: string,
  who: { requester: string; target?: string | null },
): Promise<void> {
  expect({ disposition: r.disposition, code: r.code }, r.message).toEqual({ disposition: 'denied', code });
  expect(r.certificate).toBeNull();
  expect(r.serial).toBeNull();
  const row = await t.store.requests.get(r.requestId);
  expect(row?.disposition).toBe('denied');
  expect(row?.code).toBe(code);
  expect(row?.serial).toBeNull();
  expect(await t.store.certificates.byRequest(r.requestId)).toBeUndefined();
  const audit = await t.store.audit.list({ requestId: r.requestId });
  const denied = audit.find((a) => a.action === 'request.denied');
  expect(denied, 'a request.denied audit record').toBeDefined();
  expect(denied!.actor).toBe(who.requester);
  expect((denied!.details as { code: string }).code).toBe(code);
  if (who.target !== undefined) expect(denied!.target).toBe(who.target);
  expect(audit.some((a) => a.action === 'certificate.issued')).toBe(false);
}
