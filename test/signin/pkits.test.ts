/**
 * NIST PKITS (Public Key Interoperability Test Suite, sections 4.1–4.16) through the
 * relying party's public surface: `validatePath` (RFC 5280 §6.1) for every test, then the
 * RevocationChecker in "CRL only" mode over the suite's CRL folder as local CRL files
 * (RFC 5280 §6.3) — the way an offline relying party is configured. PKITS default
 * settings: initial-policy-set any-policy, no explicit policy, mapping and anyPolicy not
 * inhibited. The suite's certificates are valid 2010–2030.
 *
 * The verdict must be PKITS's for every test — no false accept, no false reject — except
 * the DSA tests 4.1.4 and 4.1.5: DSA keys are not accepted by this relying party at all
 * (x509/publicKey.ts accepts RSA and ECDSA only; FIPS 186-5 withdrew DSA for signing), so
 * those valid paths are refused as unreadable keys. 4.1.6 (an invalid DSA signature) is
 * refused for the same reason, which is its expected verdict.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCertificate, type ParsedCertificate } from '../../src/signin/parseCertificate.js';
import { DEFAULT_REVOCATION, RevocationChecker } from '../../src/signin/RevocationChecker.js';
import { validatePath } from '../../src/signin/validatePath.js';

const DIR = join(import.meta.dirname, '../testdata/pkits');
const TIME = new Date('2020-06-01T00:00:00Z');

interface PkitsCase {
  readonly id: string;
  readonly section: string;
  readonly ee: string;
  readonly intermediates: readonly string[];
  readonly crls: readonly string[];
  readonly expected: 'SUCCESS' | 'FAILURE';
  readonly revocation_dependent: boolean;
}

const cases: PkitsCase[] = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8'));
const cert = (f: string) => readFileSync(join(DIR, 'certs', f));
const anchor = cert('TrustAnchorRootCertificate.crt');

/** DSA-only tests, refused because DSA keys are not accepted (see the header). */
const DSA_FALSE_REJECTS = new Set(['40104_valid_dsa_signatures_test4', '40105_valid_dsa_parameter_inheritance_test5']);

const revocation = new RevocationChecker(
  { ...DEFAULT_REVOCATION, ocsp: false, crlFiles: [join(DIR, 'crls')], crlCacheMs: 3600_000 },
  async () => {
    throw new Error('PKITS needs no network');
  },
  () => TIME,
  0,
);

/** SUCCESS or FAILURE with the reason, as the relying party decides. */
async function verdict(c: PkitsCase): Promise<{ verdict: 'SUCCESS' | 'FAILURE'; why: string }> {
  const bag: ParsedCertificate[] = [];
  for (const f of c.intermediates) {
    try {
      bag.push(parseCertificate(cert(f), { unknownCritical: 'record' }));
    } catch {
      // An unreadable CA certificate is on no path (PKITS 4.1.2 and the DSA CAs).
    }
  }
  const r = await validatePath(cert(c.ee), { anchors: [anchor], intermediates: bag, time: TIME });
  if (!r.ok) return { verdict: 'FAILURE', why: `${r.code}: ${r.detail}` };
  try {
    await revocation.checkPath(r.path, bag);
  } catch (e) {
    return { verdict: 'FAILURE', why: `${(e as { code: string }).code}: ${(e as { detail: string }).detail}` };
  }
  return { verdict: 'SUCCESS', why: `policies ${r.policies.join(', ')}` };
}

describe('NIST PKITS', () => {
  it('has the whole suite in the repository', () => {
    expect(cases.length).toBe(223);
    expect(cases.filter((c) => !c.revocation_dependent).length).toBe(177);
  });

  for (const c of cases) {
    const expected = DSA_FALSE_REJECTS.has(c.id) ? 'FAILURE' : c.expected;
    it(`${c.section} ${c.id}: ${c.expected}${DSA_FALSE_REJECTS.has(c.id) ? ' (refused: DSA)' : ''}`, async () => {
      const v = await verdict(c);
      expect(v.verdict, v.why).toBe(expected);
      if (DSA_FALSE_REJECTS.has(c.id)) expect(v.why).toMatch(/public key algorithm 1\.2\.840\.10040\.4\.1/);
    });
  }

  it('refuses the four non-critical requireExplicitPolicy paths (4.8.4, 4.8.5, 4.8.9, 4.8.12) for the policy reason', async () => {
    const ids = cases.filter((c) => /^408(04|05|09|12)_/.test(c.id));
    expect(ids.length).toBe(4);
    for (const c of ids) expect((await verdict(c)).why).toMatch(/^SIGNIN_POLICY/);
  });
});
