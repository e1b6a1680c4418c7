/**
 * The decoders path validation relies on, with optional fields present and absent:
 * RFC 5280 §7.1 / RFC 4518 name comparison (compareNames.ts), name constraints
 * (nameConstraints.ts) and the policy extensions (certificatePolicies.ts), checked
 * against values encoded by @peculiar/asn1-x509.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificatePolicies,
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  Name,
  NameConstraints,
  PolicyConstraints,
  PolicyInformation,
  PolicyMapping,
  PolicyMappings,
} from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import type { TesseraError } from '../errors/TesseraError.js';
import {
  decodeCertificatePolicies,
  decodeInhibitAnyPolicy,
  decodePolicyConstraints,
  decodePolicyMappings,
} from './certificatePolicies.js';
import { nameKey, namesMatch, prepareString } from './compareNames.js';
import { bmp, integer, oid, printable, seq, tlv, utf8 } from './der.js';
import { decodeNameConstraints, nameConstraintsProblem, subjectNames } from './nameConstraints.js';
import { encodeName } from './name.js';
import { OID } from './oids.js';

const der = (v: unknown) => Buffer.from(AsnConvert.serialize(v));
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as TesseraError).detail;
  }
  return 'accepted';
};

describe('name comparison (RFC 5280 §7.1, RFC 4518)', () => {
  const name = (...rdns: Buffer[]) => seq(...rdns.map((a) => tlv(0x31, a)));
  const atv = (type: string, value: Buffer) => seq(oid(type), value);

  it('folds case, NFKC and insignificant spaces across string types', () => {
    expect(prepareString('  Good   CA ')).toBe('good ca');
    expect(prepareString('ＡＢＣ')).toBe('abc');
    expect(prepareString('Straße')).toBe('strasse');
    const a = name(atv(OID.countryName, printable('US')), atv(OID.commonName, printable('Good  CA')));
    const b = name(atv(OID.countryName, utf8('us')), atv(OID.commonName, bmp(' good ca')));
    expect(namesMatch(a, b)).toBe(true);
    expect(nameKey(a)).toBe(nameKey(b));
  });

  it('maps exactly the §2.2 soft hyphens, joiners, variation selectors and controls to nothing', () => {
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const expected = [
      ...range(0x00, 0x08),
      ...range(0x0e, 0x1f),
      ...range(0x7f, 0x84),
      ...range(0x86, 0x9f),
      0xad,
      0x34f,
      0x1806,
      ...range(0x180b, 0x180d),
      ...range(0x200b, 0x200d),
      0x2060,
      ...range(0xfe00, 0xfe0f),
      0xfeff,
      0xfffc,
    ];
    const dropped: number[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) if (prepareString(`a${String.fromCharCode(cp)}b`) === 'ab') dropped.push(cp);
    expect(dropped).toEqual(expected);
  });

  it('keeps RDN order and multi-valued RDNs as sets', () => {
    const ab = name(atv(OID.organizationName, utf8('A')), atv(OID.commonName, utf8('B')));
    const ba = name(atv(OID.commonName, utf8('B')), atv(OID.organizationName, utf8('A')));
    expect(namesMatch(ab, ba)).toBe(false);
    const multi1 = seq(tlv(0x31, atv(OID.organizationName, utf8('A')), atv(OID.commonName, utf8('B'))));
    const multi2 = seq(tlv(0x31, atv(OID.commonName, utf8('b')), atv(OID.organizationName, utf8('a'))));
    expect(namesMatch(multi1, multi2)).toBe(true);
  });

  it('compares a value of a non-string type by its octets', () => {
    const a = name(atv('1.2.3.4', Buffer.from([0x04, 0x01, 0x41])));
    const b = name(atv('1.2.3.4', Buffer.from([0x04, 0x01, 0x61])));
    expect(namesMatch(a, b)).toBe(false);
  });
});

describe('nameConstraints', () => {
  it('decodes permitted and excluded subtrees of every form, as asn1-x509 encodes them', () => {
    const nc = new NameConstraints({
      permittedSubtrees: new GeneralSubtrees([
        new GeneralSubtree({ base: new GeneralName({ dNSName: 'example.com' }) }),
        new GeneralSubtree({ base: new GeneralName({ rfc822Name: '.example.com' }) }),
        new GeneralSubtree({ base: new GeneralName({ uniformResourceIdentifier: '.example.com' }) }),
        new GeneralSubtree({ base: new GeneralName({ iPAddress: '10.0.0.0/8' as never }) }),
        new GeneralSubtree({
          base: new GeneralName({ directoryName: AsnConvert.parse(encodeName([{ type: 'O', value: 'Org' }]), Name) }),
        }),
      ]),
    });
    const d = decodeNameConstraints(der(nc));
    expect(d.excluded).toBeUndefined();
    expect(d.permitted?.map((s) => s.form)).toEqual(['dns', 'email', 'uri', 'ip', 'dn']);
    const onlyExcluded = decodeNameConstraints(
      der(
        new NameConstraints({
          excludedSubtrees: new GeneralSubtrees([
            new GeneralSubtree({ base: new GeneralName({ dNSName: 'evil.com' }) }),
          ]),
        }),
      ),
    );
    expect(onlyExcluded.permitted).toBeUndefined();
    expect(onlyExcluded.excluded?.[0]).toEqual({ form: 'dns', value: 'evil.com' });
  });

  it('refuses an empty NameConstraints and an encoded default minimum', () => {
    expect(errorOf(() => decodeNameConstraints(seq()))).toBe('empty nameConstraints');
    const min0 = seq(tlv(0xa0, seq(tlv(0x82, Buffer.from('a.com')), tlv(0x80, Buffer.from([0])))));
    expect(errorOf(() => decodeNameConstraints(min0))).toMatch(/default minimum/);
  });

  it('applies an rfc822Name constraint to the emailAddress of the subject DN', () => {
    const nc = decodeNameConstraints(seq(tlv(0xa0, seq(tlv(0x81, Buffer.from('example.com'))))));
    const names = subjectNames(
      encodeName([
        { type: 'CN', value: 'x' },
        { type: 'E', value: 'x@other.com' },
      ]),
      undefined,
    );
    expect(nameConstraintsProblem(names, nc)).toMatch(/rfc822Name x@other\.com is not within/);
  });
});

describe('policy extensions', () => {
  it('certificatePolicies with and without qualifiers; a policy twice is refused', () => {
    const cp = new CertificatePolicies([
      new PolicyInformation({ policyIdentifier: '1.2.3' }),
      new PolicyInformation({ policyIdentifier: OID.anyPolicy }),
    ]);
    expect(decodeCertificatePolicies(der(cp))).toEqual(['1.2.3', OID.anyPolicy]);
    expect(errorOf(() => decodeCertificatePolicies(seq(seq(oid('1.2.3')), seq(oid('1.2.3')))))).toMatch(
      /appears twice/,
    );
  });

  it('policyMappings, policyConstraints with either field, inhibitAnyPolicy', () => {
    const pm = new PolicyMappings([
      Object.assign(new PolicyMapping(), { issuerDomainPolicy: '1.2.3', subjectDomainPolicy: '1.2.4' }),
    ]);
    expect(decodePolicyMappings(der(pm))).toEqual([{ issuerDomainPolicy: '1.2.3', subjectDomainPolicy: '1.2.4' }]);
    // Hand-encoded: asn1-x509 2.x writes a SkipCerts of 0 with no content octets (80 00), which is not DER.
    expect(decodePolicyConstraints(seq(tlv(0x80, Buffer.from([0]))))).toEqual({ requireExplicitPolicy: 0 });
    expect(
      errorOf(() => decodePolicyConstraints(der(Object.assign(new PolicyConstraints(), { requireExplicitPolicy: 0 })))),
    ).toMatch(/requireExplicitPolicy is empty/);
    expect(decodePolicyConstraints(seq(tlv(0x81, Buffer.from([2]))))).toEqual({ inhibitPolicyMapping: 2 });
    expect(decodePolicyConstraints(seq(tlv(0x80, Buffer.from([1])), tlv(0x81, Buffer.from([3]))))).toEqual({
      requireExplicitPolicy: 1,
      inhibitPolicyMapping: 3,
    });
    expect(
      errorOf(() => decodePolicyConstraints(seq(tlv(0x81, Buffer.from([1])), tlv(0x80, Buffer.from([1]))))),
    ).toMatch(/out of order/);
    expect(errorOf(() => decodePolicyConstraints(seq()))).toBe('empty policyConstraints');
    expect(decodeInhibitAnyPolicy(integer(0))).toBe(0);
    expect(decodeInhibitAnyPolicy(integer(5))).toBe(5);
    expect(errorOf(() => decodeInhibitAnyPolicy(Buffer.from([0x02, 0x01, 0xff])))).toMatch(/negative/);
  });
});
