/**
 * validatePath (RFC 5280 §6.1) on generated certificates, one rule at a time: name
 * constraints of every form (critical or not, the Microsoft UPN otherName included),
 * certificate policies with mappings and the policy counters (critical or not),
 * pathLenConstraint with self-issued certificates, name chaining under RFC 4518
 * comparison, the RFC 5280 §4 profile rules the validator enforces, validity without skew,
 * path building through cross-certificates, re-keyed CAs and wrong key identifiers, and a
 * hostile bag of certificates that must not make it slow.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validatePath, type PathValidation, type ValidatePathOptions } from '../../src/signin/validatePath.js';
import { integer, oid, seq, tlv, utf8, printable } from '../../src/x509/der.js';
import { authorityInfoAccessExtension, extension } from '../../src/x509/extensions.js';
import { encodeGeneralName } from '../../src/x509/generalNames.js';
import { encodeName, type NameAttribute } from '../../src/x509/name.js';
import { OID } from '../../src/x509/oids.js';
import { makeCert, newKey, type CertSpec, type Issued, type Key } from './support/pki.js';

const root = makeCert({
  subject: [
    { type: 'O', value: 'Path Org' },
    { type: 'CN', value: 'Path Root' },
  ],
  ca: true,
});
const org = (cn: string): NameAttribute[] => [
  { type: 'O', value: 'Path Org' },
  { type: 'CN', value: cn },
];

function ca(cn: string, o: Partial<CertSpec> = {}): Issued {
  return makeCert({ subject: org(cn), issuer: root, ca: true, ...o });
}
function leaf(issuer: Issued, o: Partial<CertSpec> = {}): Issued {
  return makeCert({ subject: org('Leaf'), issuer, ca: false, keyUsage: ['digitalSignature'], ...o });
}
async function run(
  l: Issued,
  intermediates: readonly Issued[],
  o: Partial<ValidatePathOptions> = {},
): Promise<PathValidation> {
  return validatePath(l.der, { anchors: [root.der], intermediates: intermediates.map((c) => c.der), ...o });
}
const refusal = (r: PathValidation) => (r.ok ? 'accepted' : `${r.code}: ${r.detail}`);

// --- extension encoders (RFC 5280 §4.2.1.10, §4.2.1.4, §4.2.1.5, §4.2.1.11, §4.2.1.14) ----------
type Base =
  | { dn: NameAttribute[] }
  | { email: string }
  | { dns: string }
  | { uri: string }
  | { ip: [number[], number[]] }
  | { upn: string };
function generalName(b: Base): Buffer {
  if ('dn' in b) return tlv(0xa4, encodeName(b.dn));
  if ('email' in b) return tlv(0x81, Buffer.from(b.email));
  if ('dns' in b) return tlv(0x82, Buffer.from(b.dns));
  if ('uri' in b) return tlv(0x86, Buffer.from(b.uri));
  if ('ip' in b) return tlv(0x87, Buffer.from([...b.ip[0], ...b.ip[1]]));
  return encodeGeneralName({ type: 'upn', value: b.upn });
}
function nameConstraints(o: { permitted?: Base[]; excluded?: Base[] }, critical = true): Buffer {
  const parts: Buffer[] = [];
  if (o.permitted) parts.push(tlv(0xa0, ...o.permitted.map((b) => seq(generalName(b)))));
  if (o.excluded) parts.push(tlv(0xa1, ...o.excluded.map((b) => seq(generalName(b)))));
  return extension(OID.nameConstraints, critical, seq(...parts));
}
const san = (...names: Buffer[]) => extension(OID.subjectAltName, false, seq(...names));
const policies = (...ids: string[]) => extension(OID.certificatePolicies, false, seq(...ids.map((id) => seq(oid(id)))));
const mappings = (pairs: [string, string][], critical = false) =>
  extension(OID.policyMappings, critical, seq(...pairs.map(([a, b]) => seq(oid(a), oid(b)))));
const policyConstraints = (o: { require?: number; inhibitMapping?: number }, critical = false) =>
  extension(
    OID.policyConstraints,
    critical,
    seq(
      ...(o.require !== undefined ? [tlv(0x80, Buffer.from([o.require]))] : []),
      ...(o.inhibitMapping !== undefined ? [tlv(0x81, Buffer.from([o.inhibitMapping]))] : []),
    ),
  );
const inhibitAny = (n: number, critical = false) => extension(OID.inhibitAnyPolicy, critical, integer(n));
const P1 = '2.16.840.1.101.3.2.1.48.1';
const P2 = '2.16.840.1.101.3.2.1.48.2';
const ANY = OID.anyPolicy;

describe('a plain path', () => {
  it('validates root → CA → leaf and reports the work done', async () => {
    const c = ca('CA');
    const r = await run(leaf(c), [c]);
    expect(refusal(r)).toBe('accepted');
    expect(r.ok && r.path.length).toBe(3);
    expect(r.work.signatures).toBe(2);
  });
});

describe('name constraints (RFC 5280 §4.2.1.10), critical or not', () => {
  for (const critical of [true, false]) {
    const label = critical ? 'critical' : 'non-critical';
    it(`${label} directoryName: a subject outside the permitted subtree is refused`, async () => {
      const c = ca('DN CA', {
        extra: [nameConstraints({ permitted: [{ dn: [{ type: 'O', value: 'Path Org' }] }] }, critical)],
      });
      expect(refusal(await run(leaf(c), [c]))).toBe('accepted');
      // Case and spacing do not matter (RFC 4518), the RDN sequence does.
      expect(
        refusal(
          await run(
            leaf(c, {
              subject: [
                { type: 'O', value: 'path  ORG' },
                { type: 'CN', value: 'x' },
              ],
            }),
            [c],
          ),
        ),
      ).toBe('accepted');
      expect(
        refusal(
          await run(
            leaf(c, {
              subject: [
                { type: 'O', value: 'Other Org' },
                { type: 'CN', value: 'x' },
              ],
            }),
            [c],
          ),
        ),
      ).toMatch(/^SIGNIN_NAME_CONSTRAINTS: .*directoryName .* is not within the permitted subtrees/);
      // A subjectAltName directoryName is constrained too.
      expect(
        refusal(await run(leaf(c, { extra: [san(tlv(0xa4, encodeName([{ type: 'O', value: 'Else' }])))] }), [c])),
      ).toMatch(/^SIGNIN_NAME_CONSTRAINTS/);
    });

    it(`${label} rfc822Name: permitted ".example.com", excluded a mailbox; the DN emailAddress counts`, async () => {
      const c = ca('Mail CA', {
        extra: [
          nameConstraints(
            { permitted: [{ email: '.example.com' }], excluded: [{ email: 'bad@mail.example.com' }] },
            critical,
          ),
        ],
      });
      expect(refusal(await run(leaf(c, { extra: [san(tlv(0x81, Buffer.from('a@mail.example.com')))] }), [c]))).toBe(
        'accepted',
      );
      expect(refusal(await run(leaf(c, { extra: [san(tlv(0x81, Buffer.from('a@evil.com')))] }), [c]))).toMatch(
        /^SIGNIN_NAME_CONSTRAINTS: .*rfc822Name a@evil\.com is not within/,
      );
      expect(
        refusal(await run(leaf(c, { extra: [san(tlv(0x81, Buffer.from('bad@mail.example.com')))] }), [c])),
      ).toMatch(/excluded subtree/);
      // ".example.com" names hosts below example.com, not example.com itself.
      expect(refusal(await run(leaf(c, { extra: [san(tlv(0x81, Buffer.from('a@example.com')))] }), [c]))).toMatch(
        /^SIGNIN_NAME_CONSTRAINTS/,
      );
      const dnMail = leaf(c, { subject: [...org('Leaf'), { type: 'E', value: 'x@evil.com' }] });
      expect(refusal(await run(dnMail, [c]))).toMatch(/^SIGNIN_NAME_CONSTRAINTS: .*rfc822Name x@evil\.com/);
    });

    it(`${label} dNSName: the name or names below it, never a suffix match of a label`, async () => {
      const c = ca('DNS CA', { extra: [nameConstraints({ permitted: [{ dns: 'example.com' }] }, critical)] });
      const dns = (n: string) => leaf(c, { san: [{ type: 'dns', value: n }] });
      expect(refusal(await run(dns('host.example.com'), [c]))).toBe('accepted');
      expect(refusal(await run(dns('EXAMPLE.com'), [c]))).toBe('accepted');
      expect(refusal(await run(dns('badexample.com'), [c]))).toMatch(
        /^SIGNIN_NAME_CONSTRAINTS: .*dNSName badexample\.com/,
      );
      expect(refusal(await run(dns('example.org'), [c]))).toMatch(/^SIGNIN_NAME_CONSTRAINTS/);
    });

    it(`${label} URI: by host; a URI without a host is refused under URI constraints`, async () => {
      const c = ca('URI CA', { extra: [nameConstraints({ permitted: [{ uri: '.example.com' }] }, critical)] });
      const uri = (u: string) => leaf(c, { san: [{ type: 'uri', value: u }] });
      expect(refusal(await run(uri('https://www.example.com/path'), [c]))).toBe('accepted');
      expect(refusal(await run(uri('https://user@evil.com:443/.example.com'), [c]))).toMatch(
        /^SIGNIN_NAME_CONSTRAINTS: .*URI/,
      );
      expect(refusal(await run(uri('urn:uuid:1234'), [c]))).toMatch(/has no host/);
    });

    it(`${label} iPAddress: address and mask, IPv4 and IPv6 apart`, async () => {
      const c = ca('IP CA', {
        extra: [
          nameConstraints(
            {
              permitted: [
                {
                  ip: [
                    [10, 0, 0, 0],
                    [255, 0, 0, 0],
                  ],
                },
              ],
            },
            critical,
          ),
        ],
      });
      const ip = (b: number[]) => leaf(c, { extra: [san(tlv(0x87, Buffer.from(b)))] });
      expect(refusal(await run(ip([10, 1, 2, 3]), [c]))).toBe('accepted');
      expect(refusal(await run(ip([192, 168, 1, 1]), [c]))).toMatch(
        /^SIGNIN_NAME_CONSTRAINTS: .*iPAddress 192\.168\.1\.1/,
      );
      expect(refusal(await run(ip(Array(16).fill(0)), [c]))).toMatch(/^SIGNIN_NAME_CONSTRAINTS/);
    });

    it(`${label} Microsoft UPN otherName: a constrained sub-CA cannot issue a UPN of another domain`, async () => {
      const c = ca('UPN CA', {
        extra: [
          nameConstraints(
            { permitted: [{ upn: '@corp.example' }], excluded: [{ upn: 'administrator@corp.example' }] },
            critical,
          ),
        ],
      });
      const upn = (u: string) => leaf(c, { san: [{ type: 'upn', value: u }] });
      expect(refusal(await run(upn('alice@corp.example'), [c]))).toBe('accepted');
      expect(refusal(await run(upn('Alice@CORP.example'), [c]))).toBe('accepted');
      expect(refusal(await run(upn('alice@contoso.example'), [c]))).toMatch(
        /^SIGNIN_NAME_CONSTRAINTS: .*UPN alice@contoso\.example is not within the permitted subtrees of "CN=UPN CA,O=Path Org"/,
      );
      expect(refusal(await run(upn('administrator@corp.example'), [c]))).toMatch(/excluded subtree/);
      // A domain constraint ("corp.example") and a subdomain one (".corp.example") behave as for rfc822Name.
      const dom = ca('UPN CA 2', { extra: [nameConstraints({ permitted: [{ upn: '.corp.example' }] }, critical)] });
      expect(refusal(await run(leaf(dom, { san: [{ type: 'upn', value: 'bob@eu.corp.example' }] }), [dom]))).toBe(
        'accepted',
      );
      expect(refusal(await run(leaf(dom, { san: [{ type: 'upn', value: 'bob@corp.example' }] }), [dom]))).toMatch(
        /^SIGNIN_NAME_CONSTRAINTS/,
      );
    });
  }

  it('constraints of a CA apply to every certificate below it, not to a self-issued intermediate', async () => {
    const top = ca('Top', { extra: [nameConstraints({ permitted: [{ dns: 'example.com' }] })] });
    const mid = makeCert({ subject: org('Mid'), issuer: top, ca: true, san: [{ type: 'dns', value: 'evil.com' }] });
    expect(refusal(await run(leaf(mid, { san: [{ type: 'dns', value: 'a.example.com' }] }), [top, mid]))).toMatch(
      /^SIGNIN_NAME_CONSTRAINTS: "CN=Mid/,
    );
  });

  it("a constrained trust anchor's name constraints bind the path too", async () => {
    const constrainedRoot = makeCert({
      subject: org('Constrained Root'),
      ca: true,
      extra: [nameConstraints({ permitted: [{ upn: '@corp.example' }] }, false)],
    });
    const sub = makeCert({ subject: org('Under constrained root'), issuer: constrainedRoot, ca: true });
    const r = await validatePath(leaf(sub, { san: [{ type: 'upn', value: 'eve@evil.example' }] }).der, {
      anchors: [constrainedRoot.der],
      intermediates: [sub.der],
    });
    expect(refusal(r)).toMatch(/^SIGNIN_NAME_CONSTRAINTS: .*of "CN=Constrained Root/);
  });

  it('a form it cannot process (a subtree with a maximum) refuses names of that form only', async () => {
    const max = extension(
      OID.nameConstraints,
      true,
      seq(tlv(0xa0, seq(tlv(0x82, Buffer.from('example.com')), tlv(0x81, Buffer.from([1]))))),
    );
    const c = ca('Max CA', { extra: [max] });
    expect(refusal(await run(leaf(c), [c]))).toBe('accepted');
    expect(refusal(await run(leaf(c, { san: [{ type: 'dns', value: 'a.example.com' }] }), [c]))).toMatch(
      /cannot be processed/,
    );
  });
});

describe('certificate policies (RFC 5280 §6.1.3 (d)–(f), §6.1.4, §6.1.5), critical or not', () => {
  for (const critical of [true, false]) {
    it(`${critical ? 'critical' : 'non-critical'} requireExplicitPolicy 0 refuses a leaf without an acceptable policy`, async () => {
      const c = ca('Explicit CA', { extra: [policies(P1), policyConstraints({ require: 0 }, critical)] });
      expect(refusal(await run(leaf(c, { extra: [policies(P1)] }), [c]))).toBe('accepted');
      expect(refusal(await run(leaf(c), [c]))).toMatch(/^SIGNIN_POLICY/);
      expect(refusal(await run(leaf(c, { extra: [policies(P2)] }), [c]))).toMatch(/^SIGNIN_POLICY/);
    });

    it(`${critical ? 'critical' : 'non-critical'} policy mappings, and inhibitPolicyMapping`, async () => {
      const c = ca('Mapping CA', { extra: [policies(P1), mappings([[P1, P2]], critical)] });
      const l = leaf(c, { extra: [policies(P2)] });
      const r = await run(l, [c], { initialPolicySet: [P1], initialExplicitPolicy: true });
      expect(refusal(r)).toBe('accepted');
      expect(r.ok && r.policies).toEqual([P1]);
      expect(
        refusal(
          await run(l, [c], { initialPolicySet: [P1], initialExplicitPolicy: true, initialPolicyMappingInhibit: true }),
        ),
      ).toMatch(/^SIGNIN_POLICY/);
      const inhibiting = ca('Inhibiting CA', {
        extra: [policies(ANY), policyConstraints({ inhibitMapping: 0 }, critical)],
      });
      const mapper = makeCert({
        subject: org('Mapper'),
        issuer: inhibiting,
        ca: true,
        extra: [policies(P1), mappings([[P1, P2]])],
      });
      expect(
        refusal(
          await run(leaf(mapper, { extra: [policies(P2)] }), [inhibiting, mapper], { initialExplicitPolicy: true }),
        ),
      ).toMatch(/^SIGNIN_POLICY/);
    });
  }

  it('initial policy set and initial explicit policy', async () => {
    const c = ca('P1 CA', { extra: [policies(P1)] });
    const l = leaf(c, { extra: [policies(P1)] });
    expect(refusal(await run(l, [c], { initialPolicySet: [P1], initialExplicitPolicy: true }))).toBe('accepted');
    expect(refusal(await run(l, [c], { initialPolicySet: [P2], initialExplicitPolicy: true }))).toMatch(
      /^SIGNIN_POLICY: no policy of the path is in the acceptable set/,
    );
    expect(refusal(await run(leaf(c), [c], { initialExplicitPolicy: true }))).toMatch(/^SIGNIN_POLICY/);
    // Without explicit policy a path with no policies is fine (PKITS default settings).
    expect(refusal(await run(leaf(c), [c]))).toBe('accepted');
  });

  it('a mapping to or from anyPolicy is refused', async () => {
    const c = ca('Any mapper', { extra: [policies(P1), mappings([[P1, ANY]])] });
    expect(refusal(await run(leaf(c, { extra: [policies(P1)] }), [c]))).toMatch(
      /^SIGNIN_POLICY: .*maps a policy to or from anyPolicy/,
    );
  });

  it('non-critical inhibitAnyPolicy 0 stops anyPolicy below the CA', async () => {
    const c = ca('Inhibit any', { extra: [policies(ANY), inhibitAny(0)] });
    expect(refusal(await run(leaf(c, { extra: [policies(ANY)] }), [c], { initialExplicitPolicy: true }))).toMatch(
      /^SIGNIN_POLICY/,
    );
    const open = ca('Any allowed', { extra: [policies(ANY)] });
    expect(refusal(await run(leaf(open, { extra: [policies(ANY)] }), [open], { initialExplicitPolicy: true }))).toBe(
      'accepted',
    );
  });

  it('a policy tree that would explode is refused quickly (OpenSSL CVE-2023-0464)', async () => {
    // 30 policies, each mapped to all 30: 30 + 900 + 900 nodes by the end entity.
    const many = Array.from({ length: 30 }, (_, i) => `1.2.3.${i}`);
    const all: [string, string][] = many.flatMap((a) => many.map((b) => [a, b] as [string, string]));
    const c1 = ca('Bomb 1', {
      extra: [
        policies(...many),
        extension(OID.policyMappings, false, seq(...all.map(([a, b]) => seq(oid(a), oid(b))))),
      ],
    });
    const c2 = makeCert({ subject: org('Bomb 2'), issuer: c1, ca: true, extra: [policies(...many)] });
    const t0 = performance.now();
    const r = await run(leaf(c2, { extra: [policies(...many)] }), [c1, c2]);
    expect(refusal(r)).toMatch(/^SIGNIN_POLICY: the certificate policy tree of this path grows beyond 1000 nodes/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('basic constraints, key usage and pathLenConstraint (RFC 5280 §6.1.4 (k)–(n))', () => {
  it('self-issued certificates do not count against pathLenConstraint; other CAs do', async () => {
    const key1 = newKey();
    const c = ca('Rolled CA', { key: key1, ca: { pathLen: 0 } });
    const cSubject = c;
    const newKeyCa = makeCert({ subject: org('Rolled CA'), key: newKey(), issuer: cSubject, ca: true });
    expect(refusal(await run(leaf(newKeyCa), [c, newKeyCa]))).toBe('accepted');
    const sub = makeCert({ subject: org('Sub'), issuer: c, ca: true });
    expect(refusal(await run(leaf(sub), [c, sub]))).toMatch(
      /^SIGNIN_BASIC_CONSTRAINTS: "CN=Rolled CA,O=Path Org" allows 0 CA certificates below it, the path has 1/,
    );
  });

  it('refuses keyCertSign in an end entity with cA FALSE, and a CA without keyCertSign', async () => {
    const c = ca('CA');
    expect(refusal(await run(leaf(c, { keyUsage: ['digitalSignature', 'keyCertSign'] }), [c]))).toMatch(
      /^SIGNIN_BASIC_CONSTRAINTS: .*keyCertSign without basicConstraints cA TRUE/,
    );
    const noSign = ca('No sign', { keyUsage: ['cRLSign'] });
    expect(refusal(await run(leaf(noSign), [noSign]))).toMatch(/no keyCertSign/);
  });

  it('refuses an unknown critical extension on the path only', async () => {
    const c = ca('CA');
    const unknown = extension('1.3.6.1.4.1.55555.1', true, Buffer.from([5, 0]));
    expect(refusal(await run(leaf(c, { extra: [unknown] }), [c]))).toMatch(
      /^SIGNIN_UNKNOWN_CRITICAL_EXTENSION: .*1\.3\.6\.1\.4\.1\.55555\.1/,
    );
    // The same extension on a certificate that is not on the path changes nothing.
    const bystander = makeCert({ subject: org('Bystander'), issuer: root, ca: true, extra: [unknown] });
    expect(refusal(await run(leaf(c), [bystander, c]))).toBe('accepted');
  });
});

describe('RFC 5280 §4 profile rules', () => {
  const c = ca('Profile CA');
  it('serial number zero', async () => {
    expect(refusal(await run(leaf(c, { serial: 0n }), [c]))).toMatch(/^SIGNIN_CERT_PROFILE: .*serial number zero/);
  });
  it('a critical AKI on the root, and a missing AKI on a leaf or an intermediate', async () => {
    const akiRoot = makeCert({
      subject: org('AKI Root'),
      ca: true,
      extra: [extension(OID.authorityKeyIdentifier, true, seq(tlv(0x80, Buffer.alloc(20, 1))))],
    });
    const under = makeCert({ subject: org('Under AKI Root'), issuer: akiRoot, ca: true });
    const r = await validatePath(leaf(under).der, { anchors: [akiRoot.der], intermediates: [under.der] });
    expect(refusal(r)).toMatch(/^SIGNIN_CERT_PROFILE: .*critical authority key identifier/);
    expect(refusal(await run(leaf(c, { omit: [OID.authorityKeyIdentifier] }), [c]))).toMatch(
      /^SIGNIN_CERT_PROFILE: "CN=Leaf.*no authority key identifier/,
    );
    const noAki = ca('No AKI CA', { omit: [OID.authorityKeyIdentifier] });
    expect(refusal(await run(leaf(noAki), [noAki]))).toMatch(
      /^SIGNIN_CERT_PROFILE: "CN=No AKI CA.*no authority key identifier/,
    );
  });
  it('a root without SKI, a root whose basicConstraints is not critical', async () => {
    const noSki = makeCert({ subject: org('No SKI Root'), ca: true, omit: [OID.subjectKeyIdentifier] });
    const a = makeCert({ subject: org('A'), issuer: noSki, ca: true });
    expect(refusal(await validatePath(leaf(a).der, { anchors: [noSki.der], intermediates: [a.der] }))).toMatch(
      /^SIGNIN_CERT_PROFILE: .*without subject key identifier/,
    );
    const soft = makeCert({
      subject: org('Soft BC Root'),
      ca: null,
      keyUsage: ['keyCertSign', 'cRLSign'],
      extra: [extension(OID.basicConstraints, false, seq(tlv(0x01, Buffer.from([0xff]))))],
    });
    const b = makeCert({ subject: org('B'), issuer: soft, ca: true });
    expect(refusal(await validatePath(leaf(b).der, { anchors: [soft.der], intermediates: [b.der] }))).toMatch(
      /^SIGNIN_CERT_PROFILE: .*basicConstraints is absent, not cA TRUE or not critical/,
    );
    // An intermediate with a non-critical basicConstraints is tolerated (PKITS 4.6.4).
    const softMid = ca('Soft mid', {
      ca: null,
      keyUsage: ['keyCertSign', 'cRLSign'],
      extra: [extension(OID.basicConstraints, false, seq(tlv(0x01, Buffer.from([0xff]))))],
    });
    expect(refusal(await run(leaf(softMid), [softMid]))).toBe('accepted');
  });
  it('a CA with an empty subject', async () => {
    const empty = makeCert({ subject: [], issuer: root, ca: true });
    expect(refusal(await run(leaf(empty), [empty]))).toMatch(/^SIGNIN_CERT_PROFILE: .*empty subject/);
  });
  it('a critical authorityInfoAccess', async () => {
    const aia = authorityInfoAccessExtension({ ocsp: 'http://ocsp.example' });
    // Re-mark the extension critical: Extension ::= SEQUENCE { extnID, critical BOOLEAN, extnValue }.
    const parts = [aia.subarray(2, 2 + 10), aia.subarray(12)];
    const critical = seq(parts[0], tlv(0x01, Buffer.from([0xff])), parts[1]);
    expect(refusal(await run(leaf(c, { extra: [critical] }), [c]))).toMatch(
      /^SIGNIN_CERT_PROFILE: .*critical authorityInfoAccess/,
    );
  });
  it('an RSA modulus that is not a whole number of octets', async () => {
    const kp = generateKeyPairSync('rsa', { modulusLength: 2052 });
    const key: Key = {
      privateKey: kp.privateKey,
      spki: kp.publicKey.export({ format: 'der', type: 'spki' }),
      kind: 'rsa',
    };
    expect(refusal(await run(leaf(c, { key }), [c]))).toMatch(
      /^SIGNIN_SIGNATURE_INVALID: .*RSA modulus of 2052 bits is not a multiple of 8/,
    );
  });
  it('a leaf not yet valid by a few seconds, unless a skew is given', async () => {
    const now = new Date();
    const early = leaf(c, { notBefore: new Date(now.getTime() + 3000) });
    expect(refusal(await run(early, [c], { time: now }))).toMatch(/^SIGNIN_CERT_EXPIRED: .*is not valid before/);
    expect(refusal(await run(early, [c], { time: now, notBeforeSkewMs: 5000 }))).toBe('accepted');
  });
});

describe('name chaining (RFC 5280 §7.1, RFC 4518)', () => {
  it('matches an issuer written in another string type, case and spacing', async () => {
    const c = ca('Chain CA');
    const issuerName = seq(
      tlv(0x31, seq(oid(OID.organizationName), printable('PATH  org'))),
      tlv(0x31, seq(oid(OID.commonName), utf8(' chain ca '))),
    );
    expect(refusal(await run(leaf(c, { issuerName }), [c]))).toBe('accepted');
    const other = seq(
      tlv(0x31, seq(oid(OID.organizationName), printable('Path Org'))),
      tlv(0x31, seq(oid(OID.commonName), utf8('Chain CA 2'))),
    );
    expect(refusal(await run(leaf(c, { issuerName: other }), [c]))).toMatch(/^SIGNIN_CHAIN_UNTRUSTED/);
  });
});

describe('path building', () => {
  it('tries every candidate: an expired cross-certificate first, a valid one second', async () => {
    const key = newKey();
    const expired = ca('Cross CA', {
      key,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const otherRoot = makeCert({ subject: org('Other Root'), ca: true });
    const cross = makeCert({ subject: org('Cross CA'), key, issuer: otherRoot, ca: true });
    const l = leaf(expired);
    const r = await validatePath(l.der, {
      anchors: [root.der, otherRoot.der],
      intermediates: [expired.der, cross.der],
    });
    expect(refusal(r)).toBe('accepted');
    expect(r.ok && r.path[2].subjectText).toBe('CN=Other Root,O=Path Org');
    // Only the expired one: refused for its validity, not for want of a path.
    expect(refusal(await run(l, [expired]))).toMatch(/^SIGNIN_CERT_EXPIRED/);
  });

  it('several keys under one name, and key identifiers that are only hints', async () => {
    const first = ca('Two Keys');
    const second = ca('Two Keys');
    expect(refusal(await run(leaf(second), [first, second]))).toBe('accepted');
    // A wrong AKI does not stop the right key from being found.
    const wrongAki = leaf(second, {
      omit: [OID.authorityKeyIdentifier],
      extra: [extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, Buffer.alloc(20, 9))))],
    });
    expect(refusal(await run(wrongAki, [first, second]))).toBe('accepted');
  });

  it('a hostile bag of same-name certificates stays bounded, and the real issuer still wins', async () => {
    const real = ca('Busy CA');
    const decoys = Array.from({ length: 60 }, () => ca('Busy CA', { omit: [OID.subjectKeyIdentifier] }));
    const l = leaf(real);
    const t0 = performance.now();
    const r = await run(l, decoys);
    expect(refusal(r)).toMatch(/^SIGNIN_(CHAIN_UNTRUSTED|SIGNATURE_INVALID)/);
    expect(r.work.signatures).toBeLessThanOrEqual(64);
    const found = await run(l, [...decoys, real]);
    expect(refusal(found)).toBe('accepted');
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('a mesh of same-name cross-certificates with exponentially many paths stays bounded', async () => {
    // Six keys for "Mesh X" and six for "Mesh Y", every X key certified by every Y key and
    // back: each certificate has six issuers that verify, and no path reaches an anchor.
    const kx = Array.from({ length: 6 }, () => newKey());
    const ky = Array.from({ length: 6 }, () => newKey());
    const xName = org('Mesh X');
    const yName = org('Mesh Y');
    const asIssuer = (key: Key, subject: NameAttribute[]): Issued => ({
      der: Buffer.alloc(0),
      key,
      subject: encodeName(subject),
      serial: '01',
    });
    const bag: Issued[] = [];
    for (const a of kx)
      for (const b of ky) bag.push(makeCert({ subject: xName, key: a, issuer: asIssuer(b, yName), ca: true }));
    for (const b of ky)
      for (const a of kx) bag.push(makeCert({ subject: yName, key: b, issuer: asIssuer(a, xName), ca: true }));
    const l = makeCert({
      subject: org('Mesh leaf'),
      issuer: asIssuer(kx[0], xName),
      ca: false,
      keyUsage: ['digitalSignature'],
    });
    const t0 = performance.now();
    const r = await run(l, bag, { maxSignatures: 100_000, maxDepth: 12 });
    expect(refusal(r)).toMatch(/^SIGNIN_(CHAIN_UNTRUSTED|SIGNATURE_INVALID)/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('stops at the depth limit', async () => {
    let c = ca('Deep 0');
    const chain = [c];
    for (let i = 1; i < 8; i++) {
      c = makeCert({ subject: org(`Deep ${i}`), issuer: c, ca: true });
      chain.push(c);
    }
    expect(refusal(await run(leaf(c), chain, { maxDepth: 6 }))).toMatch(
      /^SIGNIN_CHAIN_UNTRUSTED: no path .* within 6 certificates/,
    );
    expect(refusal(await run(leaf(c), chain, { maxDepth: 10 }))).toBe('accepted');
  });
});
