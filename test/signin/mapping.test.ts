/**
 * Mapping a certificate to one account of a real Tessera directory (KB5014754; MS-PKCA
 * §3.1.5.2.1.6; docs/security.md §8.11–8.12): the SID
 * extension or SID URI first, explicit issuer+serial / SKI mappings, UPN-only only when
 * configured as weak; a SID that is not the UPN's account is KDC_ERR_CERTIFICATE_MISMATCH
 * (ESC9/ESC10); disabled accounts and certificates older than their account are refused.
 * The certificates are crafted (the Unit CA), so every combination can be made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUserEnabled } from '../../src/ra/admin/users.js';
import { reversedSerial } from '../../src/signin/mapAccount.js';
import { parseCertificate } from '../../src/signin/parseCertificate.js';
import type { SigninDecision } from '../../src/signin/SmartCardValidator.js';
import { SID_URI_PREFIX } from '../../src/x509/generalNames.js';
import { LOCAL } from '../support/tessera.js';
import { craftedWorld, TLS_POSSESSION, type CraftedWorld } from './support/crafted.js';

let w: CraftedWorld;
beforeAll(async () => {
  w = await craftedWorld();
});
afterAll(async () => w?.close());

const failed = (d: SigninDecision) => d.checks.find((c) => c.status === 'failed');
const mapping = (d: SigninDecision) => (d.ok ? d.mapping : undefined);

describe('strong mappings', () => {
  it('by the SID extension', async () => {
    const d = await w.validator().validate([w.leaf(w.alice).der], TLS_POSSESSION);
    expect(d.ok && d.account.username).toBe('alice');
    expect(mapping(d)).toMatchObject({ kind: 'sid-extension', strength: 'strong', sid: w.alice.sid, upn: w.alice.upn });
  });

  it('by the SAN URI tag:microsoft.com,2022-09-14:sid: when there is no SID extension', async () => {
    const leaf = w.leaf(w.alice, {
      sid: undefined,
      san: [
        { type: 'upn', value: w.alice.upn! },
        { type: 'uri', value: `${SID_URI_PREFIX}${w.alice.sid}` },
      ],
    });
    const d = await w.validator().validate([leaf.der], TLS_POSSESSION);
    expect(mapping(d)).toMatchObject({ kind: 'sid-uri', strength: 'strong', sid: w.alice.sid });
  });

  it('by an explicit issuer + serial (X509:<I>…<SR>…, serial bytes reversed as Windows writes them) or SKI mapping', async () => {
    const leaf = w.leaf(w.alice, { sid: undefined });
    const p = parseCertificate(leaf.der);
    const bySerial = `X509:<I>${p.issuerWindowsText}<SR>${reversedSerial(p.serial).toUpperCase()}`;
    expect(bySerial).toMatch(/^X509:<I>O=Unit Org,CN=Unit Issuing CA<SR>[0-9A-F]+$/);
    let d = await w.validator({ mapping: { explicit: { alice: [bySerial] } } }).validate([leaf.der], TLS_POSSESSION);
    expect(mapping(d)).toMatchObject({ kind: 'explicit-issuer-serial', strength: 'strong', explicit: bySerial });
    const bySki = `X509:<SKI>${p.subjectKeyId!.toString('hex')}`;
    d = await w.validator({ mapping: { explicit: { alice: [bySki] } } }).validate([leaf.der], TLS_POSSESSION);
    expect(mapping(d)).toMatchObject({ kind: 'explicit-ski', strength: 'strong' });
    // Another serial of the same issuer maps nothing.
    const other = w.leaf(w.alice, { sid: undefined, san: [] });
    d = await w.validator({ mapping: { explicit: { alice: [bySerial] } } }).validate([other.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'mapping', code: 'SIGNIN_NOT_MAPPED' });
  });
});

describe('mismatches: KDC_ERR_CERTIFICATE_MISMATCH (ESC9, ESC10, ESC14)', () => {
  it("refuses a certificate whose SID is bob's while its UPN names alice, and tells bob nothing about alice", async () => {
    const leaf = w.leaf(w.bob, { san: [{ type: 'upn', value: w.alice.upn! }] });
    const d = await w.validator().validate([leaf.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'mapping', code: 'SIGNIN_CERTIFICATE_MISMATCH' });
    // The detail (audit trail) names both accounts …
    expect(d.ok || d.detail).toContain(`names alice (SID ${w.alice.sid})`);
    expect(d.ok || d.detail).toContain(`is bob's`);
    // … the public parts do not.
    const shown = JSON.stringify(d.checks.map(({ detail: _detail, ...pub }) => pub));
    expect(shown).not.toContain(w.alice.sid!);
    expect(shown).not.toContain('alice');
  });

  it('refuses a SID that belongs to no account when the UPN names one, and a SID extension that disagrees with the SID URI', async () => {
    let d = await w.validator().validate([w.leaf(w.alice, { sid: 'S-1-5-21-1-2-3-99999' }).der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_CERTIFICATE_MISMATCH' });
    d = await w.validator().validate([w.leaf(w.alice, { sid: 'S-1-5-21-1-2-3-99999', san: [] }).der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_NOT_MAPPED' });
    const two = w.leaf(w.alice, {
      san: [
        { type: 'upn', value: w.alice.upn! },
        { type: 'uri', value: `${SID_URI_PREFIX}${w.bob.sid}` },
      ],
    });
    d = await w.validator().validate([two.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_CERTIFICATE_MISMATCH' });
    expect(d.ok || d.detail).toMatch(/different SIDs/);
  });

  it('refuses an explicit mapping to alice on a certificate whose UPN names bob', async () => {
    const leaf = w.leaf(w.alice, { sid: undefined, san: [{ type: 'upn', value: w.bob.upn! }] });
    const p = parseCertificate(leaf.der);
    const d = await w
      .validator({ mapping: { explicit: { alice: [`X509:<SKI>${p.subjectKeyId!.toString('hex')}`] } } })
      .validate([leaf.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_CERTIFICATE_MISMATCH' });
  });

  it('exactly one account: two UPNs, or explicit mappings to two accounts, are ambiguous', async () => {
    const twoUpns = w.leaf(w.alice, {
      sid: undefined,
      san: [
        { type: 'upn', value: w.alice.upn! },
        { type: 'upn', value: w.bob.upn! },
      ],
    });
    expect(failed(await w.validator().validate([twoUpns.der], TLS_POSSESSION))).toMatchObject({
      code: 'SIGNIN_MAPPING_AMBIGUOUS',
    });
    const leaf = w.leaf(w.alice, { sid: undefined, san: [] });
    const ski = `X509:<SKI>${parseCertificate(leaf.der).subjectKeyId!.toString('hex')}`;
    const d = await w
      .validator({ mapping: { explicit: { alice: [ski], bob: [ski] } } })
      .validate([leaf.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_MAPPING_AMBIGUOUS' });
  });
});

describe('weak mapping (UPN only)', () => {
  it('is refused by default (KB5014754 full enforcement) and accepted, marked weak, only where configured', async () => {
    const leaf = w.leaf(w.alice, { sid: undefined });
    const refused = await w.validator().validate([leaf.der], TLS_POSSESSION);
    expect(failed(refused)).toMatchObject({ id: 'mapping', code: 'SIGNIN_WEAK_MAPPING' });
    const weak = await w.validator({ mapping: { allowWeakUpn: true } }).validate([leaf.der], TLS_POSSESSION);
    expect(weak.ok && weak.account.username).toBe('alice');
    expect(mapping(weak)).toMatchObject({ kind: 'upn', strength: 'weak' });
    expect(weak.checks.find((c) => c.id === 'mapping')!.summary).toMatch(
      /^weak mapping \(UPN alice@tessera\.local only\)/,
    );
  });

  it('a UPN that names no account maps nothing', async () => {
    const leaf = w.leaf(w.alice, { sid: undefined, san: [{ type: 'upn', value: 'nobody@tessera.local' }] });
    expect(
      failed(await w.validator({ mapping: { allowWeakUpn: true } }).validate([leaf.der], TLS_POSSESSION)),
    ).toMatchObject({ code: 'SIGNIN_NOT_MAPPED' });
  });
});

describe('the account (docs/security.md §8.12)', () => {
  it('refuses a certificate issued before the account was created, beyond the backdating tolerance', async () => {
    const created = w.alice.createdAt.getTime();
    const old = w.leaf(w.alice, { notBefore: new Date(created - 3600_000) });
    const d = await w.validator().validate([old.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'account', code: 'SIGNIN_CERT_PREDATES_ACCOUNT' });
    expect(d.ok ? undefined : d.account).toBe('alice');
    // A CA backdating notBefore by five minutes (Tessera) or ten (AD CS) is fine.
    const backdated = w.leaf(w.alice, { notBefore: new Date(created - 5 * 60_000) });
    expect((await w.validator().validate([backdated.der], TLS_POSSESSION)).ok).toBe(true);
  });

  it('refuses a disabled account, and signs it in again once enabled', async () => {
    const leaf = w.leaf(w.bob);
    await setUserEnabled(w.ca.t, LOCAL, 'bob', false);
    try {
      const d = await w.validator().validate([leaf.der], TLS_POSSESSION);
      expect(failed(d)).toMatchObject({ id: 'account', code: 'USER_DISABLED' });
    } finally {
      await setUserEnabled(w.ca.t, LOCAL, 'bob', true);
    }
    expect((await w.validator().validate([leaf.der], TLS_POSSESSION)).ok).toBe(true);
  });
});
