/**
 * Template validation (validateTemplate.ts): every save and every start refuses a
 * template that would open an AD CS escalation, with a message naming the rule
 * (docs/security.md §2).
 */
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../errors/TesseraError.js';
import { OID } from '../x509/oids.js';
import { BUILTIN_TEMPLATES } from './builtinTemplates.js';
import type { Template } from './Template.js';
import { templateProblems, validateTemplate } from './validateTemplate.js';

const byName = (n: string) => BUILTIN_TEMPLATES.find((t) => t.name === n)!;
const smartcardUser = byName('SmartcardUser');
const webServer = byName('WebServer');

/** The TEMPLATE_INVALID detail for a template, or '' when it is valid. */
function refusal(t: unknown): string {
  try {
    validateTemplate(t);
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    expect((e as TesseraError).code).toBe('TEMPLATE_INVALID');
    return (e as TesseraError).detail ?? '';
  }
}

const variant = (base: Template, over: Record<string, unknown>): Template => ({ ...base, ...over }) as Template;

describe('builtin templates', () => {
  it.each(BUILTIN_TEMPLATES.map((t) => [t.name, t] as const))('%s is valid', (_name, t) => {
    expect(templateProblems(t)).toEqual([]);
    expect(validateTemplate(t)).toBe(t);
  });

  it('ship SmartcardUser with the AD CS defaults (builtinTemplates.ts) and the SID extension', () => {
    expect(smartcardUser.ekus).toEqual([OID.clientAuth, OID.emailProtection, OID.smartcardLogon]);
    expect(smartcardUser.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(smartcardUser.subjectName.source).toBe('directory');
    expect(smartcardUser.san).toMatchObject({ upn: true, email: true });
    expect(smartcardUser.includeSid).toBe(true);
    expect(smartcardUser.keyAlgorithms).toEqual({
      rsaMinBits: 2048,
      rsaMaxBits: 8192,
      rsaPublicExponent: '65537',
      ecCurves: ['P-256', 'P-384'],
    });
  });

  it('take names from the request only in WebServer, which always waits for a manager', () => {
    for (const t of BUILTIN_TEMPLATES) {
      if (t.subjectName.source === 'request') {
        expect(t.name).toBe('WebServer');
        expect(t.issuance.managerApproval).toBe(true);
      }
    }
  });
});

describe('ESC rules', () => {
  it('refuses a template without EKUs (ESC2)', () => {
    expect(refusal(variant(smartcardUser, { ekus: [] }))).toMatch(
      /ekus: an end-entity template must list at least one extended key usage \(ESC2\)/,
    );
  });

  it('refuses the Any Purpose EKU (ESC2)', () => {
    expect(refusal(variant(smartcardUser, { ekus: [OID.clientAuth, OID.anyExtendedKeyUsage] }))).toMatch(
      /Any Purpose \(2\.5\.29\.37\.0\) is not allowed \(ESC2\)/,
    );
  });

  it('refuses names from the request with an authentication EKU (ESC1)', () => {
    const t = variant(webServer, { ekus: [OID.serverAuth, OID.clientAuth], includeSid: true });
    expect(refusal(t)).toMatch(/names from the request are not allowed with an authentication EKU \(ESC1\)/);
  });

  it('refuses names from the request for Smart Card Logon even with approval (ESC1)', () => {
    const t = variant(smartcardUser, {
      subjectName: { source: 'request', format: 'commonName', includeEmail: false },
      issuance: { managerApproval: true, agentSignatures: 0, agentPolicy: null },
    });
    expect(refusal(t)).toMatch(/\(ESC1\)/);
  });

  it('refuses names from the request without manager approval (ESC1, ESC17)', () => {
    const t = variant(webServer, { issuance: { managerApproval: false, agentSignatures: 0, agentPolicy: null } });
    expect(refusal(t)).toMatch(/names from the request require certificate manager approval \(ESC1, ESC17\)/);
  });

  it('refuses names from the request for enrollment agent certificates (ESC3)', () => {
    const t = variant(webServer, {
      ekus: [OID.certificateRequestAgent, OID.serverAuth],
      keyUsage: ['digitalSignature'],
      keySpec: 'signature',
    });
    expect(refusal(t)).toMatch(/enrollment agent certificates \(ESC3\)/);
  });

  it('refuses an authentication EKU without the SID extension (ESC9, KB5014754)', () => {
    const t = variant(smartcardUser, { includeSid: false });
    expect(refusal(t)).toMatch(
      /includeSid: templates with Client Authentication or Smart Card Logon must include the SID extension \(KB5014754, ESC9\)/,
    );
    // Client Authentication alone counts too.
    expect(refusal(variant(byName('User'), { includeSid: false }))).toMatch(/ESC9/);
  });

  it('refuses Smart Card Logon without the UPN', () => {
    expect(refusal(variant(smartcardUser, { san: { upn: false, email: true, dns: false, sidUri: false } }))).toMatch(
      /san\.upn: Smart Card Logon certificates carry the UPN/,
    );
  });

  it('refuses key usage that contradicts the key spec (docs/certsrv.md §8)', () => {
    expect(refusal(variant(smartcardUser, { keySpec: 'signature' }))).toMatch(
      /keyUsage\/keySpec: a Signature key cannot have encipherment or key agreement usage/,
    );
    expect(refusal(variant(smartcardUser, { keyUsage: ['digitalSignature'], keySpec: 'exchange' }))).toMatch(
      /keyUsage\/keySpec: an Exchange key needs keyEncipherment or keyAgreement/,
    );
  });

  it('refuses an EKU whose key usage cannot serve it (RFC 5280 §4.2.1.12)', () => {
    expect(refusal(variant(smartcardUser, { keyUsage: ['keyEncipherment'] }))).toMatch(
      /extended key usage 1\.3\.6\.1\.4\.1\.311\.20\.2\.2 requires digitalSignature/,
    );
  });

  it('refuses RSA minimums below 2048 bits', () => {
    expect(refusal(variant(smartcardUser, { keyAlgorithms: { rsaMinBits: 1024, ecCurves: ['P-256'] } }))).toMatch(
      /keyAlgorithms\.rsaMinBits: at least 2048/,
    );
    expect(refusal(variant(smartcardUser, { keyAlgorithms: { rsaMinBits: null, ecCurves: [] } }))).toMatch(
      /keyAlgorithms: allow RSA, ECDSA or both/,
    );
    expect(refusal(variant(smartcardUser, { keyAlgorithms: { rsaMinBits: 2048, ecCurves: ['secp256k1'] } }))).toMatch(
      /secp256k1 is not one of/,
    );
  });

  it('refuses DNS names for directory-sourced templates', () => {
    expect(refusal(variant(smartcardUser, { san: { upn: true, email: true, dns: true, sidUri: false } }))).toMatch(
      /san\.dns: DNS names come only from the request/,
    );
    expect(refusal(variant(smartcardUser, { san: { ...smartcardUser.san, dnsWildcard: true } }))).toMatch(
      /san\.dnsWildcard: wildcards are names from the request/,
    );
    expect(refusal(variant(webServer, { san: { ...webServer.san, dnsWildcard: 'yes' } }))).toMatch(
      /san\.dnsWildcard: true or false/,
    );
    expect(refusal(variant(webServer, { san: { ...webServer.san, dnsWildcard: true } }))).toBe('');
  });

  it('bounds the RSA modulus from above (at most 16384, not below the minimum) and knows two exponent rules', () => {
    const ka = (over: Record<string, unknown>) =>
      variant(smartcardUser, { keyAlgorithms: { ...smartcardUser.keyAlgorithms, ...over } });
    expect(refusal(ka({ rsaMaxBits: 16385 }))).toMatch(/keyAlgorithms\.rsaMaxBits: 2048 to 16384 \(default 8192\)/);
    expect(refusal(ka({ rsaMaxBits: '8192' }))).toMatch(/keyAlgorithms\.rsaMaxBits: 2048 to 16384/);
    expect(refusal(ka({ rsaMinBits: 4096, rsaMaxBits: 3072 }))).toMatch(
      /keyAlgorithms\.rsaMaxBits: at least keyAlgorithms\.rsaMinBits/,
    );
    expect(refusal(ka({ rsaPublicExponent: 3 }))).toMatch(
      /keyAlgorithms\.rsaPublicExponent: "65537" \(only F4, the default\) or "odd"/,
    );
    expect(refusal(ka({ rsaPublicExponent: 'any' }))).toMatch(/keyAlgorithms\.rsaPublicExponent/);
    expect(refusal(ka({ rsaMaxBits: 16384, rsaPublicExponent: 'odd' }))).toBe('');
    expect(refusal(ka({ rsaMinBits: null, rsaMaxBits: 4096 }))).toBe('');
  });

  it(
    'reads a definition stored before the upper bound, the exponent ' +
      'rule and the wildcard flag existed with their defaults',
    () => {
      const { rsaMaxBits: _max, rsaPublicExponent: _e, ...oldKeys } = webServer.keyAlgorithms;
      const { dnsWildcard: _w, ...oldSan } = webServer.san;
      const stored = { ...webServer, keyAlgorithms: oldKeys, san: oldSan };
      expect(templateProblems(stored as Template)).toEqual([]);
      const t = validateTemplate(stored);
      expect(t.keyAlgorithms).toEqual({
        rsaMinBits: 2048,
        rsaMaxBits: 8192,
        rsaPublicExponent: '65537',
        ecCurves: ['P-256', 'P-384'],
      });
      expect(Object.keys(t.keyAlgorithms)).toEqual(['rsaMinBits', 'rsaMaxBits', 'rsaPublicExponent', 'ecCurves']);
      expect(t.san).toEqual({ upn: false, email: false, dns: true, dnsWildcard: false, sidUri: false });
      expect(stored.keyAlgorithms).toEqual(oldKeys);
    },
  );

  it('refuses agent signatures without the application policy they need', () => {
    expect(
      refusal(variant(smartcardUser, { issuance: { managerApproval: false, agentSignatures: 1, agentPolicy: null } })),
    ).toMatch(/issuance\.agentPolicy: required/);
  });

  it('refuses flags that are not booleans (a string "false" is truthy)', () => {
    expect(refusal(variant(smartcardUser, { includeSid: 'false' }))).toMatch(/includeSid: true or false/);
  });

  it('names every problem at once, with the template name', () => {
    const detail = refusal(
      variant(smartcardUser, { ekus: [], keyAlgorithms: { rsaMinBits: 1024, ecCurves: [] }, validityDays: 0 }),
    );
    expect(detail).toMatch(/^SmartcardUser: /);
    expect(detail).toMatch(/ESC2/);
    expect(detail).toMatch(/rsaMinBits/);
    expect(detail).toMatch(/validityDays/);
  });

  it('refuses a v2 template without its template OID', () => {
    expect(refusal(variant(smartcardUser, { schemaVersion: 2, oid: null }))).toMatch(
      /a schema version 2 template needs its template OID/,
    );
    expect(
      refusal(variant(smartcardUser, { schemaVersion: 2, oid: '2.25.329800735698586629295641978511506172918' })),
    ).toBe('');
  });

  it('refuses input that is not an object, and malformed structures without throwing anything else', () => {
    expect(refusal(null)).toMatch(/a template is a JSON object/);
    expect(refusal('SmartcardUser')).toMatch(/a template is a JSON object/);
    expect(refusal({ name: 'X' })).not.toBe('');
  });
});
