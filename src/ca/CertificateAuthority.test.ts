/**
 * The lean TBS encoder of CertificateAuthority.ts, checked byte for byte against the
 * library encoder: every certificate it produces is parsed with @peculiar/asn1-x509 and
 * re-serialised, as a whole and extension by extension, and must come back identical.
 * Also the prepare → record intent → sign order and the one-shot token, and the lint of
 * the signed bytes (lintTbs.ts) against encoder bugs planted through the mock below.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  GeneralNames,
  KeyUsage,
  Name,
  SubjectKeyIdentifier,
  TBSCertificate,
} from '@peculiar/asn1-x509';
import { CertificateTemplate, EnrollCertTypeChoice } from '@peculiar/asn1-x509-microsoft';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TesseraError } from '../errors/TesseraError.js';
import { FileSigner } from '../keys/FileSigner.js';
import type { CaKeyAlgorithm, Signer } from '../keys/Signer.js';
import { children, octets, oid, read, readTlv, seq } from '../x509/der.js';
import { OID } from '../x509/oids.js';
import { decodeSpki } from '../x509/publicKey.js';
import { tmpDir } from '../../test/support/openssl.js';
import { readCaCertificate, type CaCertificate } from './CaCertificate.js';
import { CertificateAuthority, type IntendedCertificate } from './CertificateAuthority.js';
import { createCaCertificate } from './createCaCertificate.js';
import type { IssuanceProfile } from './IssuanceProfile.js';

/**
 * Encoder bugs planted for a test: `plant.ski` / `plant.bc` rewrite what the real
 * extensions.js encoder returns. Unset, the real encoders run unchanged.
 */
type Fault = null | ((real: Buffer) => Buffer);
const plant = vi.hoisted(() => ({ ski: null as Fault, bc: null as Fault }));
vi.mock('../x509/extensions.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../x509/extensions.js')>();
  return {
    ...real,
    subjectKeyIdentifierExtension: (id: Uint8Array) => faulty(plant.ski, real.subjectKeyIdentifierExtension(id)),
    basicConstraintsExtension: (ca: boolean, n?: number) => faulty(plant.bc, real.basicConstraintsExtension(ca, n)),
  };
});

const faulty = (fault: Fault, real: Buffer) => (fault ? fault(real) : real);

const URLS = {
  crl: ['http://pki.test.invalid/pki/issuing.crl'],
  caIssuers: 'http://pki.test.invalid/pki/issuing.cer',
  ocsp: 'http://pki.test.invalid/ocsp',
};
const SID = 'S-1-5-21-1004336348-1177238915-682003330-1105';

/** A signer that counts its signatures, to see when the CA signs. */
class CountingSigner implements Signer {
  calls = 0;
  constructor(private readonly inner: Signer) {}
  get key() {
    return this.inner.key;
  }
  get publicKey() {
    return this.inner.publicKey;
  }
  get algorithm() {
    return this.inner.algorithm;
  }
  sign(data: Uint8Array) {
    this.calls++;
    return this.inner.sign(data);
  }
  close() {
    return this.inner.close();
  }
}

async function newCa(
  alg: CaKeyAlgorithm,
  validityDays = 3650,
  now = new Date(),
): Promise<{ ca: CertificateAuthority; signer: CountingSigner; cert: CaCertificate }> {
  const dir = tmpDir('ca-unit-');
  const inner = await FileSigner.generate(join(dir, 'ca.key.pem'), alg, 'unit-test-passphrase');
  const der = await createCaCertificate({
    issuerSigner: inner,
    subjectKey: inner.publicKey,
    subject: [
      { type: 'O', value: 'Unit' },
      { type: 'CN', value: `Unit ${alg} CA` },
    ],
    validityDays,
    now,
  });
  const cert = readCaCertificate(der);
  const signer = new CountingSigner(inner);
  return { ca: new CertificateAuthority('issuing', cert, signer, URLS), signer, cert };
}

function subjectKey(kind: 'rsa' | 'p256' | 'p384'): Buffer {
  const { publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' });
  return publicKey.export({ format: 'der', type: 'spki' });
}

function profile(spki: Buffer, over: Partial<IssuanceProfile> = {}): IssuanceProfile {
  const key = decodeSpki(spki);
  return {
    template: { name: 'SmartcardUser', schemaVersion: 1, oid: null, majorVersion: 1, minorVersion: 0 },
    subject: [
      { type: 'DC', value: 'local' },
      { type: 'DC', value: 'tessera' },
      { type: 'CN', value: 'Users' },
      { type: 'CN', value: 'Alice Smith' },
      { type: 'E', value: 'alice@example.com' },
    ],
    san: [
      { type: 'upn', value: 'alice@tessera.local' },
      { type: 'email', value: 'alice@example.com' },
    ],
    sid: SID,
    ekus: [OID.clientAuth, OID.emailProtection, OID.smartcardLogon],
    keyUsage: key.kind === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature', 'keyAgreement'],
    applicationPolicies: false,
    validityDays: 365,
    spki,
    key,
    subjectUser: 'alice',
    ...over,
  };
}

async function issue(
  ca: CertificateAuthority,
  p: IssuanceProfile,
  now?: Date,
): Promise<{ der: Buffer; intent: IntendedCertificate }> {
  let recorded: IntendedCertificate | undefined;
  const issued = await ca.issue(ca.prepare(p, now), async (i) => {
    recorded = i;
  });
  expect(recorded).toBeDefined();
  return { der: issued.der, intent: recorded! };
}

/** Each extension value parsed with its schema class must re-serialise to the same bytes. */
const SCHEMAS: Record<string, new () => object> = {
  [OID.keyUsage]: KeyUsage,
  [OID.extKeyUsage]: ExtendedKeyUsage,
  [OID.basicConstraints]: BasicConstraints,
  [OID.subjectAltName]: GeneralNames,
  [OID.subjectKeyIdentifier]: SubjectKeyIdentifier,
  [OID.authorityKeyIdentifier]: AuthorityKeyIdentifier,
  [OID.cRLDistributionPoints]: CRLDistributionPoints,
  [OID.authorityInfoAccess]: AuthorityInfoAccessSyntax,
  [OID.ntdsCaSecurityExt]: GeneralNames,
  [OID.certificateTemplateName]: EnrollCertTypeChoice,
  [OID.certificateTemplate]: CertificateTemplate,
  [OID.applicationPolicies]: CertificatePolicies,
};

function expectLibraryIdentical(der: Buffer): Certificate {
  const cert = AsnConvert.parse(der, Certificate);
  expect(Buffer.from(AsnConvert.serialize(cert))).toEqual(der);
  const tbsDer = Buffer.from(AsnConvert.serialize(cert.tbsCertificate));
  expect(Buffer.from(AsnConvert.serialize(AsnConvert.parse(tbsDer, TBSCertificate)))).toEqual(tbsDer);
  for (const ext of cert.tbsCertificate.extensions ?? []) {
    const schema = SCHEMAS[ext.extnID];
    expect(schema, `no schema for ${ext.extnID}`).toBeDefined();
    const value = Buffer.from(ext.extnValue.buffer);
    expect(Buffer.from(AsnConvert.serialize(AsnConvert.parse(value, schema))), ext.extnID).toEqual(value);
  }
  return cert;
}

const extIds = (c: Certificate) => (c.tbsCertificate.extensions ?? []).map((e) => e.extnID);
const ext = (c: Certificate, id: string) => (c.tbsCertificate.extensions ?? []).find((e) => e.extnID === id);

describe.each(['RSA-2048', 'P-256'] as const)('CertificateAuthority with an %s issuing key', (alg) => {
  let ca: CertificateAuthority;
  let signer: CountingSigner;
  let caCert: CaCertificate;
  beforeAll(async () => {
    ({ ca, signer, cert: caCert } = await newCa(alg));
  });

  it.each(['rsa', 'p256', 'p384'] as const)(
    'encodes a Smartcard User certificate for a %s key exactly as the library does',
    async (kind) => {
      const spki = subjectKey(kind);
      const { der, intent } = await issue(ca, profile(spki));
      const cert = expectLibraryIdentical(der);
      // The recorded TBS is the signed TBS.
      expect(Buffer.from(AsnConvert.serialize(cert.tbsCertificate))).toEqual(intent.tbs);
      expect(Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo))).toEqual(spki);
      expect(extIds(cert)).toEqual([
        OID.keyUsage,
        OID.extKeyUsage,
        OID.certificateTemplateName,
        OID.subjectAltName,
        OID.subjectKeyIdentifier,
        OID.authorityKeyIdentifier,
        OID.cRLDistributionPoints,
        OID.authorityInfoAccess,
        OID.ntdsCaSecurityExt,
        OID.basicConstraints,
      ]);
      // The signature verifies with the CA key over the TBS bytes.
      const sig = Buffer.from(cert.signatureValue);
      const caKey = createPublicKey({ key: caCert.spki, format: 'der', type: 'spki' });
      expect(verify('sha256', intent.tbs, caKey, sig)).toBe(true);
      expect(cert.signatureAlgorithm.algorithm).toBe(
        alg === 'RSA-2048' ? OID.sha256WithRSAEncryption : OID.ecdsaWithSHA256,
      );
      expect(cert.tbsCertificate.issuer).toEqual(AsnConvert.parse(caCert.subjectDer, Name));
    },
  );

  it('writes an empty subject with a critical SAN (RFC 5280 §4.2.1.6)', async () => {
    const { der } = await issue(ca, profile(subjectKey('p256'), { subject: [] }));
    const cert = expectLibraryIdentical(der);
    expect(cert.tbsCertificate.subject.length).toBe(0);
    expect(ext(cert, OID.subjectAltName)?.critical).toBe(true);
    expect(ext(cert, OID.keyUsage)?.critical).toBe(true);
    expect(ext(cert, OID.basicConstraints)?.critical).toBe(true);
    expect(ext(cert, OID.extKeyUsage)?.critical).toBe(false);
  });

  it('writes the v2 template information and application policies equal to the EKUs', async () => {
    const template = {
      name: 'SmartcardUserV2',
      schemaVersion: 2 as const,
      oid: '1.3.6.1.4.1.311.21.8.1.2.3.4',
      majorVersion: 100,
      minorVersion: 7,
    };
    const { der } = await issue(ca, profile(subjectKey('rsa'), { template, applicationPolicies: true }));
    const cert = expectLibraryIdentical(der);
    const info = AsnConvert.parse(ext(cert, OID.certificateTemplate)!.extnValue, CertificateTemplate);
    expect([info.templateID, info.templateMajorVersion, info.templateMinorVersion]).toEqual([template.oid, 100, 7]);
    expect(ext(cert, OID.certificateTemplateName)).toBeUndefined();
    const policies = AsnConvert.parse(ext(cert, OID.applicationPolicies)!.extnValue, CertificatePolicies).map(
      (p) => p.policyIdentifier,
    );
    expect(policies).toEqual([OID.clientAuth, OID.emailProtection, OID.smartcardLogon]);
  });

  it('writes the v1 template name as the BMPString the library reads back', async () => {
    const { der } = await issue(ca, profile(subjectKey('p256')));
    const cert = expectLibraryIdentical(der);
    const name = AsnConvert.parse(ext(cert, OID.certificateTemplateName)!.extnValue, EnrollCertTypeChoice);
    expect(name.name?.bmpString).toBe('SmartcardUser');
  });

  it('leaves the SID extension out when the profile has none (service certificates)', async () => {
    const { der } = await issue(
      ca,
      profile(subjectKey('p256'), {
        sid: null,
        subjectUser: null,
        ekus: [OID.serverAuth],
        san: [{ type: 'dns', value: 'ca.example' }],
        subject: [{ type: 'CN', value: 'ca.example' }],
        keyUsage: ['digitalSignature'],
      }),
    );
    const cert = expectLibraryIdentical(der);
    expect(ext(cert, OID.ntdsCaSecurityExt)).toBeUndefined();
  });

  it('chooses a positive 16-octet serial from the CSPRNG (RFC 5280 §4.1.2.2, ≥ 64 random bits)', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { intent, der } = await issue(ca, profile(subjectKey('p256')));
      expect(intent.serial).toMatch(/^[4-7][0-9a-f]{31}$/);
      const cert = AsnConvert.parse(der, Certificate);
      expect(Buffer.from(cert.tbsCertificate.serialNumber).toString('hex')).toBe(intent.serial);
      serials.add(intent.serial);
    }
    expect(serials.size).toBe(20);
  });

  it('backdates notBefore by five minutes, in whole seconds, and keeps the template validity', async () => {
    const now = new Date(caCert.notBefore.getTime() + 86_400_000 + 123);
    const { intent } = await issue(ca, profile(subjectKey('p256')), now);
    expect(intent.notBefore.getTime()).toBe(Math.floor((now.getTime() - 300_000) / 1000) * 1000);
    expect(intent.notAfter.getTime() - intent.notBefore.getTime()).toBe(365 * 86_400_000);
  });

  it('never lets notBefore precede the issuer', async () => {
    const { intent } = await issue(ca, profile(subjectKey('p256')), caCert.notBefore);
    expect(intent.notBefore).toEqual(caCert.notBefore);
  });

  it('signs only after the intent is recorded, and not at all when recording fails', async () => {
    const before = signer.calls;
    const prepared = ca.prepare(profile(subjectKey('p256')));
    await expect(
      ca.issue(prepared, async () => {
        expect(signer.calls).toBe(before);
        throw new TesseraError('STORAGE_UNAVAILABLE', 'test');
      }),
    ).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(signer.calls).toBe(before);
  });

  it('issues a prepared certificate once only', async () => {
    const prepared = ca.prepare(profile(subjectKey('p256')));
    await ca.issue(prepared, async () => {});
    await expect(ca.issue(prepared, async () => {})).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('refuses to sign what fails lint, naming the problem', () => {
    const spki = subjectKey('p256');
    expect(() => ca.prepare(profile(spki, { ekus: [] }))).toThrow(TesseraError);
    try {
      ca.prepare(profile(spki, { sid: null }));
      expect.unreachable();
    } catch (e) {
      expect((e as TesseraError).code).toBe('INTERNAL');
      expect((e as TesseraError).detail).toMatch(/authentication certificate without the SID extension/);
    }
  });
});

describe('validity clamping', () => {
  it('ends a certificate when its issuer ends (RFC 5280 §4.1.2.5)', async () => {
    const now = new Date();
    const { ca, cert } = await newCa('P-256', 30, now);
    const { intent, der } = await issue(ca, profile(subjectKey('p256')), new Date(now.getTime() + 60_000));
    expect(intent.notAfter).toEqual(cert.notAfter);
    expect(AsnConvert.parse(der, Certificate).tbsCertificate.validity.notAfter.getTime()).toEqual(cert.notAfter);
  });

  it('refuses a key that does not match the CA certificate', async () => {
    const { cert } = await newCa('P-256');
    const other = await FileSigner.generate(join(tmpDir('ca-unit-'), 'k.pem'), 'P-256', 'x');
    let err: TesseraError | undefined;
    try {
      new CertificateAuthority('issuing', cert, other, URLS);
    } catch (e) {
      err = e as TesseraError;
    }
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.detail).toMatch(/does not match its certificate/);
  });
});

describe('lint of the signed bytes (docs/issuance.md 5e)', () => {
  afterEach(() => {
    plant.ski = null;
    plant.bc = null;
  });

  async function refusal(ca: CertificateAuthority, signer: CountingSigner, p: IssuanceProfile): Promise<TesseraError> {
    const before = signer.calls;
    let recorded = 0;
    let err: unknown;
    try {
      await ca.issue(ca.prepare(p), async () => {
        recorded++;
      });
    } catch (e) {
      err = e;
    }
    // Nothing recorded, nothing signed.
    expect(recorded).toBe(0);
    expect(signer.calls).toBe(before);
    expect(err).toBeInstanceOf(TesseraError);
    return err as TesseraError;
  }

  it('refuses to sign when an encoder writes the wrong subject key identifier', async () => {
    const { ca, signer } = await newCa('P-256');
    // The planted bug: the SKI's last octet is off by one.
    plant.ski = (real) => Buffer.concat([real.subarray(0, -1), Buffer.from([real[real.length - 1] ^ 1])]);
    const err = await refusal(ca, signer, profile(subjectKey('p256')));
    expect(err.code).toBe('CA_LINT_MISMATCH');
    expect(err.detail).toMatch(/extension 2\.5\.29\.14 does not say what the profile asked for/);
    plant.ski = null;
    await issue(ca, profile(subjectKey('p256')));
    expect(signer.calls).toBe(1);
  });

  it('refuses to sign when an encoder drops criticality, or adds an extension nobody asked for', async () => {
    // basicConstraints is encoded once, when the CA is built: the bug is planted before.
    plant.bc = (real) => basicWithoutCritical(real);
    const a = await newCa('P-256');
    const notCritical = await refusal(a.ca, a.signer, profile(subjectKey('p256')));
    expect(notCritical.code).toBe('CA_LINT_MISMATCH');
    expect(notCritical.detail).toMatch(/extension 2\.5\.29\.19 is not critical/);
    plant.bc = null;

    const b = await newCa('P-256');
    // An extension the profile did not ask for: the SKI encoder also writes certificatePolicies anyPolicy.
    const anyPolicy = seq(oid(OID.certificatePolicies), octets(seq(seq(oid('2.5.29.32.0')))));
    plant.ski = (real) => Buffer.concat([real, anyPolicy]);
    const extra = await refusal(b.ca, b.signer, profile(subjectKey('p256')));
    expect(extra.code).toBe('CA_LINT_MISMATCH');
    expect(extra.detail).toMatch(/extension 2\.5\.29\.32 was not asked for/);
  });

  it('refuses bytes the strict reader cannot read (a duplicate extension)', async () => {
    const { ca, signer } = await newCa('P-256');
    plant.ski = (real) => Buffer.concat([real, real]);
    const err = await refusal(ca, signer, profile(subjectKey('p256')));
    expect(err.code).toBe('CA_LINT_MISMATCH');
    expect(err.detail).toMatch(/does not read back: extension 2\.5\.29\.14 appears twice/);
  });
});

/** The same Extension without its critical BOOLEAN: { OID, BOOLEAN, OCTET STRING } → { OID, OCTET STRING }. */
function basicWithoutCritical(ext: Buffer): Buffer {
  const [oidT, , valueT] = children(ext, readTlv(ext, 0, ext.length));
  return seq(read.whole(ext, oidT), read.whole(ext, valueT));
}
