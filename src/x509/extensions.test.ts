/**
 * The extension encoders of extensions.ts and generalNames.ts, each checked byte for
 * byte against the same value built independently with @peculiar/asn1-x509 and
 * @peculiar/asn1-x509-microsoft (the library encoder the lean issuance path replaced).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DirectoryString,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  GeneralNames,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  OtherName,
  PolicyInformation,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { CertificateTemplate, EnrollCertTypeChoice } from '@peculiar/asn1-x509-microsoft';
import { describe, expect, it } from 'vitest';
import type { TesseraError } from '../errors/TesseraError.js';
import { bmp, octets, readTlv, seq, utf8 } from './der.js';
import {
  applicationPoliciesExtension,
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  crlDistributionPointsExtension,
  extension,
  extKeyUsageExtension,
  keyUsageExtension,
  ocspNoCheckExtension,
  sidExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  templateInfoExtension,
  templateNameExtension,
} from './extensions.js';
import {
  decodeGeneralNames,
  decodeSidExtensionValue,
  encodeGeneralNames,
  isSid,
  SID_URI_PREFIX,
} from './generalNames.js';
import { keyUsageValue } from './keyUsage.js';
import { OID } from './oids.js';

const ser = (v: object) => Buffer.from(AsnConvert.serialize(v));
const libExt = (id: string, critical: boolean, value: object | ArrayBuffer) =>
  ser(
    new Extension({
      extnID: id,
      critical,
      extnValue: new OctetString(value instanceof ArrayBuffer ? value : AsnConvert.serialize(value)),
    }),
  );
const ab = (b: Uint8Array) => Uint8Array.from(b).buffer as ArrayBuffer;

const utf8Value = (s: string) => ab(utf8(s));
const upn = (v: string) =>
  new GeneralName({ otherName: new OtherName({ typeId: OID.userPrincipalName, value: utf8Value(v) }) });

describe('extension encoders against @peculiar/asn1-x509', () => {
  it.each([
    [['digitalSignature', 'keyEncipherment'], KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment],
    [['digitalSignature'], KeyUsageFlags.digitalSignature],
    [['digitalSignature', 'keyAgreement'], KeyUsageFlags.digitalSignature | KeyUsageFlags.keyAgreement],
    [['nonRepudiation', 'dataEncipherment'], KeyUsageFlags.nonRepudiation | KeyUsageFlags.dataEncipherment],
    [
      ['digitalSignature', 'keyCertSign', 'cRLSign'],
      KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
    ],
  ] as const)('keyUsage %j is the critical named bit list the library writes', (names, flags) => {
    expect(keyUsageExtension(names)).toEqual(libExt(OID.keyUsage, true, new KeyUsage(flags)));
    expect(keyUsageValue(names)).toEqual(ser(new KeyUsage(flags)));
  });

  it('extKeyUsage lists the purposes in template order, non-critical', () => {
    const ekus = [OID.clientAuth, OID.emailProtection, OID.smartcardLogon];
    expect(extKeyUsageExtension(ekus)).toEqual(libExt(OID.extKeyUsage, false, new ExtendedKeyUsage(ekus)));
  });

  it('basicConstraints: empty SEQUENCE for an end entity, cA with pathLen for a CA (RFC 5280 §4.2.1.9)', () => {
    expect(basicConstraintsExtension(false)).toEqual(
      libExt(OID.basicConstraints, true, new BasicConstraints({ cA: false })),
    );
    expect(basicConstraintsExtension(true, 0)).toEqual(
      libExt(OID.basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
    );
    expect(basicConstraintsExtension(true)).toEqual(
      libExt(OID.basicConstraints, true, new BasicConstraints({ cA: true })),
    );
  });

  it('subject and authority key identifiers', () => {
    const id = Buffer.alloc(20, 0xab);
    expect(subjectKeyIdentifierExtension(id)).toEqual(
      libExt(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(ab(id))),
    );
    expect(authorityKeyIdentifierExtension(id)).toEqual(
      libExt(
        OID.authorityKeyIdentifier,
        false,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(ab(id)) }),
      ),
    );
  });

  it('CRL distribution points with a fullName URI per URL (RFC 5280 §4.2.1.13)', () => {
    const urls = ['http://pki.example/pki/issuing.crl', 'http://backup.example/issuing.crl'];
    const lib = new CRLDistributionPoints(
      urls.map(
        (u) =>
          new DistributionPoint({
            distributionPoint: new DistributionPointName({
              fullName: [new GeneralName({ uniformResourceIdentifier: u })],
            }),
          }),
      ),
    );
    expect(crlDistributionPointsExtension(urls)).toEqual(libExt(OID.cRLDistributionPoints, false, lib));
  });

  it('authority information access: caIssuers then OCSP (RFC 5280 §4.2.2.1)', () => {
    const lib = new AuthorityInfoAccessSyntax([
      new AccessDescription({
        accessMethod: OID.caIssuers,
        accessLocation: new GeneralName({ uniformResourceIdentifier: 'http://pki.example/pki/issuing.cer' }),
      }),
      new AccessDescription({
        accessMethod: OID.ocsp,
        accessLocation: new GeneralName({ uniformResourceIdentifier: 'http://pki.example/ocsp' }),
      }),
    ]);
    expect(
      authorityInfoAccessExtension({
        caIssuers: 'http://pki.example/pki/issuing.cer',
        ocsp: 'http://pki.example/ocsp',
      }),
    ).toEqual(libExt(OID.authorityInfoAccess, false, lib));
    const onlyIssuer = new AuthorityInfoAccessSyntax([
      new AccessDescription({
        accessMethod: OID.caIssuers,
        accessLocation: new GeneralName({ uniformResourceIdentifier: 'http://x/c.cer' }),
      }),
    ]);
    expect(authorityInfoAccessExtension({ caIssuers: 'http://x/c.cer' })).toEqual(
      libExt(OID.authorityInfoAccess, false, onlyIssuer),
    );
  });

  it('subjectAltName with the UPN otherName (UTF8String) and rfc822Name; critical when the subject is empty', () => {
    const lib = new GeneralNames([upn('alice@tessera.local'), new GeneralName({ rfc822Name: 'alice@example.com' })]);
    const names = [
      { type: 'upn', value: 'alice@tessera.local' },
      { type: 'email', value: 'alice@example.com' },
    ] as const;
    expect(subjectAltNameExtension(names, false)).toEqual(libExt(OID.subjectAltName, false, lib));
    expect(subjectAltNameExtension(names, true)).toEqual(libExt(OID.subjectAltName, true, lib));
  });

  it('subjectAltName with DNS names and the KB5014754 SID URI', () => {
    const sid = 'S-1-5-21-1004336348-1177238915-682003330-1105';
    const lib = new GeneralNames([
      new GeneralName({ dNSName: 'www.example.com' }),
      new GeneralName({ uniformResourceIdentifier: SID_URI_PREFIX + sid }),
    ]);
    expect(
      encodeGeneralNames([
        { type: 'dns', value: 'www.example.com' },
        { type: 'uri', value: SID_URI_PREFIX + sid },
      ]),
    ).toEqual(ser(lib));
  });

  it(
    'SID security extension: one otherName 1.3.6.1.4.1.311.25.2.1 ' + 'holding the SID text (MS-WCCE §2.2.2.7.7.4)',
    () => {
      const sid = 'S-1-5-21-1004336348-1177238915-682003330-1105';
      const lib = new GeneralNames([
        new GeneralName({
          otherName: new OtherName({ typeId: OID.ntdsObjectSid, value: ab(octets(Buffer.from(sid, 'ascii'))) }),
        }),
      ]);
      expect(sidExtension(sid)).toEqual(libExt(OID.ntdsCaSecurityExt, false, lib));
      const value = ser(lib);
      expect(decodeSidExtensionValue(value)).toBe(sid);
    },
  );

  it(
    'v1 template name extension is a BMPString, identical ' + 'to @peculiar/asn1-x509-microsoft EnrollCertTypeChoice',
    () => {
      const lib = new EnrollCertTypeChoice({ name: new DirectoryString({ bmpString: 'SmartcardUser' }) });
      expect(templateNameExtension('SmartcardUser')).toEqual(libExt(OID.certificateTemplateName, false, lib));
    },
  );

  it('v2 template information extension { templateID, major, minor }', () => {
    const lib = new CertificateTemplate({
      templateID: '1.3.6.1.4.1.311.21.8.9297300.10481922.2378919.4036411.12767935.134.9853437.1',
      templateMajorVersion: 100,
      templateMinorVersion: 4,
    });
    expect(templateInfoExtension(lib.templateID, 100, 4)).toEqual(libExt(OID.certificateTemplate, false, lib));
  });

  it('v2 template information extension with an X.667 2.25.<UUID> template OID', () => {
    const id = '2.25.329800735698586629295641978511506172918';
    const ext = templateInfoExtension(id, 1, 0);
    // The library prints arcs above 2^53 differently, so compare bytes of a reference built from the same OID.
    const parsed = AsnConvert.parse(ext, Extension);
    const template = AsnConvert.parse(parsed.extnValue, CertificateTemplate);
    expect(template.templateMajorVersion).toBe(1);
    expect(ser(parsed)).toEqual(ext);
  });

  it('application policies equal to the EKUs, in certificatePolicies syntax', () => {
    const ekus = [OID.clientAuth, OID.smartcardLogon];
    const lib = new CertificatePolicies(ekus.map((e) => new PolicyInformation({ policyIdentifier: e })));
    expect(applicationPoliciesExtension(ekus)).toEqual(libExt(OID.applicationPolicies, false, lib));
  });

  it('id-pkix-ocsp-nocheck has a NULL value (RFC 6960 §4.2.2.2.1)', () => {
    expect(ocspNoCheckExtension()).toEqual(libExt(OID.ocspNoCheck, false, ab(Buffer.from([0x05, 0x00]))));
  });

  it('omits critical FALSE, as DER requires for a DEFAULT (X.690 §11.5)', () => {
    const e = extension('1.2.3.4', false, Buffer.from([0x05, 0x00]));
    expect(e.includes(Buffer.from([0x01, 0x01, 0x00]))).toBe(false);
    expect(e).toEqual(libExt('1.2.3.4', false, ab(Buffer.from([0x05, 0x00]))));
  });
});

describe('GeneralNames decoding', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as TesseraError).code;
    }
    return 'none';
  };

  it('reads back what the encoder writes', () => {
    const names = [
      { type: 'upn', value: 'alice@tessera.local' },
      { type: 'email', value: 'alice@example.com' },
      { type: 'dns', value: 'host.example' },
      { type: 'uri', value: 'http://x/' },
      { type: 'sid', value: 'S-1-5-21-1-2-3-1100' },
    ] as const;
    expect(decodeGeneralNames(encodeGeneralNames(names))).toEqual(names);
  });

  it('rejects an empty SAN (RFC 5280 §4.2.1.6, step-ca CVE-2026-40097)', () => {
    expect(code(() => decodeGeneralNames(seq()))).toBe('CSR_INVALID_EXTENSION');
  });

  it('rejects a UPN otherName that is not a UTF8String (type confusion)', () => {
    const ia5Upn = ser(
      new GeneralNames([
        new GeneralName({
          otherName: new OtherName({ typeId: OID.userPrincipalName, value: ab(Buffer.from('160161', 'hex')) }),
        }),
      ]),
    );
    expect(code(() => decodeGeneralNames(ia5Upn))).toBe('CSR_INVALID_EXTENSION');
    const bmpUpn = ser(
      new GeneralNames([
        new GeneralName({ otherName: new OtherName({ typeId: OID.userPrincipalName, value: ab(bmp('a@b')) }) }),
      ]),
    );
    expect(code(() => decodeGeneralNames(bmpUpn))).toBe('CSR_INVALID_EXTENSION');
  });

  it('rejects UPNs with control or bidi-override characters', () => {
    expect(code(() => decodeGeneralNames(ser(new GeneralNames([upn('admin\u0000@corp')]))))).toBe(
      'CSR_INVALID_EXTENSION',
    );
    expect(code(() => decodeGeneralNames(ser(new GeneralNames([upn('evil\u202e@corp')]))))).toBe(
      'CSR_INVALID_EXTENSION',
    );
  });

  it('rejects rfc822Name / dNSName with NUL or non-ASCII bytes', () => {
    const nul = ser(new GeneralNames([new GeneralName({ dNSName: 'a\u0000.example' })]));
    expect(code(() => decodeGeneralNames(nul))).toBe('CSR_INVALID_EXTENSION');
  });

  it('checks SID syntax', () => {
    expect(isSid('S-1-5-21-1004336348-1177238915-682003330-1105')).toBe(true);
    expect(isSid('S-1-5')).toBe(false);
    expect(isSid('S-1-5-21-x')).toBe(false);
  });

  it('a SID extension must hold exactly one SID otherName', () => {
    const two = encodeGeneralNames([
      { type: 'sid', value: 'S-1-5-21-1-2-3-1100' },
      { type: 'upn', value: 'a@b' },
    ]);
    expect(code(() => decodeSidExtensionValue(two))).toBe('CSR_INVALID_EXTENSION');
    expect(readTlv(two, 0, two.length).tag).toBe(0x30);
  });
});
