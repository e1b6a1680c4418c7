/**
 * PKCS#10 decoding (csr.ts): requests made by `openssl req` (the independent producer),
 * requests made by buildCsr.ts with the Microsoft attributes, and hand-made bad ones,
 * each rejected with its own code before anything in them is believed.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { craftCsr, ext } from '../../test/support/craftCsr.js';
import { opensslCsr, tmpDir } from '../../test/support/openssl.js';
import { buildCsr, p1363ToDer } from './buildCsr.js';
import { parseCsr } from './csr.js';
import { bitString, integer, nul, octets, oid, seq, setOf, tlv, utf8 } from './der.js';
import { encodeGeneralNames } from './generalNames.js';
import { EMPTY_NAME, encodeName } from './name.js';
import { OID } from './oids.js';
import { decodeRequestBytes } from './pem.js';
import { codeOf } from '../../test/support/codeOf.js';

const der = (pem: string) => decodeRequestBytes(pem);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

describe('CSRs made by openssl req', () => {
  it.each([
    ['rsa:2048', 'sha256', { kind: 'rsa', bits: 2048 }],
    ['rsa:3072', 'sha256', { kind: 'rsa', bits: 3072 }],
    ['P-256', 'sha256', { kind: 'ec', curve: 'P-256' }],
    ['P-384', 'sha384', { kind: 'ec', curve: 'P-384' }],
    ['rsa:2048', 'sha1', { kind: 'rsa', bits: 2048 }],
    ['P-256', 'sha1', { kind: 'ec', curve: 'P-256' }],
  ] as const)('decodes and verifies a %s request signed with %s', (key, digest, expected) => {
    const { csr } = opensslCsr(key, { digest, subject: '/O=Contoso/CN=Alice Smith' });
    const p = parseCsr(der(csr));
    expect(p.key).toEqual(expected);
    expect(p.signatureAlgorithm.hash).toBe(digest);
    expect(p.subject).toEqual([
      { type: 'O', value: 'Contoso' },
      { type: 'CN', value: 'Alice Smith' },
    ]);
  });

  it('decodes an RSA-PSS signed request (RFC 4055 §3.1 parameters)', () => {
    const { keyFile } = opensslCsr('rsa:2048');
    const out = join(tmpDir('pss-'), 'req.pem');
    openssl([
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      '/CN=pss',
      '-sha256',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:32',
      '-out',
      out,
    ]);
    const p = parseCsr(der(readFileSync(out, 'utf8')));
    expect(p.signatureAlgorithm).toMatchObject({ kind: 'rsa-pss', hash: 'sha256', saltLength: 32 });
  });

  it('reads requested extensions: SAN, EKU, basic constraints', () => {
    const { csr } = opensslCsr('P-256', {
      addext: [
        'subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:admin@corp,email:a@b.c',
        'extendedKeyUsage=clientAuth',
        'basicConstraints=critical,CA:TRUE',
      ],
    });
    const p = parseCsr(der(csr));
    expect(p.extensions.map((e) => e.oid).sort()).toEqual(
      [OID.basicConstraints, OID.subjectAltName, OID.extKeyUsage].sort(),
    );
    expect(p.extensions.find((e) => e.oid === OID.basicConstraints)?.critical).toBe(true);
  });

  it('rejects a tampered signature with CSR_BAD_SIGNATURE', () => {
    const bytes = der(opensslCsr('rsa:2048').csr);
    bytes[bytes.length - 10] ^= 0x01;
    expect(codeOf(() => parseCsr(bytes))).toBe('CSR_BAD_SIGNATURE');
  });

  it('rejects a request whose signed info was changed after signing', () => {
    const bytes = der(opensslCsr('P-256', { subject: '/CN=alice' }).csr);
    const at = bytes.indexOf(Buffer.from('alice'));
    bytes[at] = 'm'.charCodeAt(0);
    expect(codeOf(() => parseCsr(bytes))).toBe('CSR_BAD_SIGNATURE');
  });

  it('rejects explicit EC parameters with KEY_EC_EXPLICIT_PARAMETERS (RFC 5480 §2.1.1)', () => {
    const dir = tmpDir('explicit-');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-param_enc', 'explicit', '-out', join(dir, 'key.pem')]);
    openssl(['req', '-new', '-key', join(dir, 'key.pem'), '-subj', '/CN=explicit', '-out', join(dir, 'req.pem')]);
    expect(codeOf(() => parseCsr(der(readFileSync(join(dir, 'req.pem'), 'utf8'))))).toBe('KEY_EC_EXPLICIT_PARAMETERS');
  });

  it('rejects an RSASSA-PSS-only key (id-RSASSA-PSS SPKI) as an unsupported key algorithm', () => {
    const dir = tmpDir('psskey-');
    openssl(['genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, 'key.pem')]);
    openssl(['req', '-new', '-key', join(dir, 'key.pem'), '-subj', '/CN=psskey', '-out', join(dir, 'req.pem')]);
    expect(codeOf(() => parseCsr(der(readFileSync(join(dir, 'req.pem'), 'utf8'))))).toBe('KEY_ALGORITHM_UNSUPPORTED');
  });

  it('rejects curves other than P-256, P-384 and P-521', () => {
    const dir = tmpDir('k1-');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-out', join(dir, 'key.pem')]);
    openssl(['req', '-new', '-key', join(dir, 'key.pem'), '-subj', '/CN=k1', '-out', join(dir, 'req.pem')]);
    expect(codeOf(() => parseCsr(der(readFileSync(join(dir, 'req.pem'), 'utf8'))))).toBe('KEY_ALGORITHM_UNSUPPORTED');
  });
});

describe('hand-made requests', () => {
  it('accepts a well-formed crafted request (the helper itself is sound)', () => {
    expect(() => parseCsr(craftCsr({}))).not.toThrow();
  });

  it('rejects a signature by a different key than the request key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(codeOf(() => parseCsr(craftCsr({ key: other.privateKey, spki })))).toBe('CSR_BAD_SIGNATURE');
  });

  it('rejects an ECDSA algorithm on an RSA key (Wycheproof WrongPrimitive)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const csr = craftCsr({
      key: rsa.privateKey,
      spki: rsa.publicKey.export({ format: 'der', type: 'spki' }),
      sigAlg: seq(oid(OID.ecdsaWithSHA256)),
    });
    expect(codeOf(() => parseCsr(csr))).toBe('CSR_BAD_SIGNATURE');
  });

  it('rejects MD5 signatures with SIGNATURE_ALGORITHM_UNSUPPORTED', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const md5WithRSA = seq(oid('1.2.840.113549.1.1.4'), nul());
    const csr = craftCsr({
      key: rsa.privateKey,
      spki: rsa.publicKey.export({ format: 'der', type: 'spki' }),
      sigAlg: md5WithRSA,
    });
    expect(codeOf(() => parseCsr(csr))).toBe('SIGNATURE_ALGORITHM_UNSUPPORTED');
  });

  it('rejects ECDSA AlgorithmIdentifiers with parameters (RFC 5758 §3.2)', () => {
    expect(codeOf(() => parseCsr(craftCsr({ sigAlg: seq(oid(OID.ecdsaWithSHA256), nul()) })))).toBe(
      'SIGNATURE_ALGORITHM_UNSUPPORTED',
    );
  });

  it('rejects duplicate extensions with CSR_DUPLICATE_EXTENSION (RFC 5280 §4.2)', () => {
    const san = encodeGeneralNames([{ type: 'email', value: 'a@b.c' }]);
    const csr = craftCsr({ extensions: [ext(OID.subjectAltName, san), ext(OID.subjectAltName, san)] });
    expect(codeOf(() => parseCsr(csr))).toBe('CSR_DUPLICATE_EXTENSION');
  });

  it('rejects duplicates split across two extension request attributes', () => {
    const eku = seq(oid(OID.clientAuth));
    const attr = (e: Buffer) => seq(oid(OID.extensionRequest), setOf(seq(e)));
    expect(
      codeOf(() =>
        parseCsr(craftCsr({ attributes: [attr(ext(OID.extKeyUsage, eku)), attr(ext(OID.extKeyUsage, eku))] })),
      ),
    ).toBe('CSR_DUPLICATE_EXTENSION');
  });

  it('rejects an empty EKU or an empty SAN with CSR_INVALID_EXTENSION (step-ca CVE-2026-40097)', () => {
    expect(codeOf(() => parseCsr(craftCsr({ extensions: [ext(OID.extKeyUsage, seq())] })))).toBe(
      'CSR_INVALID_EXTENSION',
    );
    expect(codeOf(() => parseCsr(craftCsr({ extensions: [ext(OID.subjectAltName, seq())] })))).toBe(
      'CSR_INVALID_EXTENSION',
    );
  });

  it('rejects an extension value that is empty or not DER', () => {
    expect(codeOf(() => parseCsr(craftCsr({ extensions: [ext('1.2.3.4', Buffer.alloc(0))] })))).toBe(
      'CSR_INVALID_EXTENSION',
    );
    expect(codeOf(() => parseCsr(craftCsr({ extensions: [ext('1.2.3.4', Buffer.from('3080020101', 'hex'))] })))).toBe(
      'CSR_INVALID_EXTENSION',
    );
  });

  it('rejects an explicitly encoded critical FALSE (X.690 §11.5)', () => {
    const explicitFalse = seq(oid(OID.extKeyUsage), Buffer.from('010100', 'hex'), octets(seq(oid(OID.clientAuth))));
    expect(codeOf(() => parseCsr(craftCsr({ extensions: [explicitFalse] })))).toBe('REQUEST_NOT_DER');
  });

  it('rejects 10,000 nested SEQUENCEs inside an attribute with REQUEST_TOO_DEEP, fast', () => {
    let deep: Buffer = Buffer.from([0x30, 0x00]);
    for (let i = 1; i < 10_000; i++) deep = seq(deep);
    const csr = craftCsr({ attributes: [seq(oid('1.2.3.4'), setOf(deep))] });
    const t0 = performance.now();
    expect(codeOf(() => parseCsr(csr))).toBe('REQUEST_TOO_DEEP');
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('rejects a request version other than v1 (0)', () => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const info = seq(integer(1), EMPTY_NAME, kp.publicKey.export({ format: 'der', type: 'spki' }), tlv(0xa0));
    const csr = seq(info, seq(oid(OID.ecdsaWithSHA256)), bitString(cryptoSign('sha256', info, kp.privateKey)));
    expect(codeOf(() => parseCsr(csr))).toBe('REQUEST_MALFORMED');
  });

  it('refuses an attribute or extension that is not a SEQUENCE, however its contents read', () => {
    // An OCTET STRING whose bytes happen to look like { type, values }.
    const disguised = tlv(0x04, oid('1.2.3.4'), setOf(utf8('x')));
    expect(codeOf(() => parseCsr(craftCsr({ attributes: [disguised] })))).toBe('REQUEST_MALFORMED');
    const disguisedExt = tlv(0x04, oid(OID.subjectAltName), octets(seq(tlv(0x81, Buffer.from('a@b')))));
    expect(codeOf(() => parseCsr(craftCsr({ extensions: [disguisedExt] })))).toBe('REQUEST_MALFORMED');
  });

  it('refuses a subject whose RDNs are not SETs', () => {
    const badName = seq(seq(seq(oid(OID.commonName), utf8('x'))));
    expect(codeOf(() => parseCsr(craftCsr({ subject: badName })))).toBe('REQUEST_MALFORMED');
  });

  it('keeps the requested subject for the audit trail', () => {
    const csr = craftCsr({ subject: encodeName([{ type: 'CN', value: 'Administrator' }]) });
    expect(parseCsr(csr).subject).toEqual([{ type: 'CN', value: 'Administrator' }]);
  });

  it('tolerates a malformed Microsoft attribute, recording it as absent', () => {
    const badCsp = seq(oid(OID.enrollmentCspProvider), setOf(utf8('not a sequence')));
    const p = parseCsr(craftCsr({ attributes: [badCsp] }));
    expect(p.microsoft.csp).toBeUndefined();
  });
});

describe('Microsoft request attributes (learn.microsoft.com "CMC Request"; docs/certsrv.md §7)', () => {
  it('decodes the template, CSP, OS version and client information written by buildCsr', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bytes = await buildCsr({
      spki: publicKey.export({ format: 'der', type: 'spki' }),
      keyKind: 'ec',
      hash: 'SHA-256',
      sign: async (data) => cryptoSign('sha256', data, privateKey),
      template: 'SmartcardUser',
      csp: { keySpec: 1, provider: 'Microsoft Smart Card Key Storage Provider' },
      osVersion: '10.0.19045.2',
      clientInfo: { clientId: 9, machine: 'WS01.contoso.local', user: 'CONTOSO\\alice', process: 'certreq.exe' },
    });
    const p = parseCsr(Buffer.from(bytes));
    expect(p.microsoft).toEqual({
      nameValuePairs: [['CertificateTemplate', 'SmartcardUser']],
      csp: { keySpec: 1, provider: 'Microsoft Smart Card Key Storage Provider' },
      osVersion: '10.0.19045.2',
      clientInfo: { clientId: 9, machine: 'WS01.contoso.local', user: 'CONTOSO\\alice', process: 'certreq.exe' },
      templateName: 'SmartcardUser',
      templateOid: undefined,
    });
    expect(p.extensions.map((e) => e.oid)).toEqual([OID.certificateTemplateName]);
  });

  it('decodes an RSA request with a SHA-1 signature from buildCsr (proof of possession only)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const bytes = await buildCsr({
      spki: publicKey.export({ format: 'der', type: 'spki' }),
      keyKind: 'rsa',
      hash: 'SHA-1',
      sign: async (d) => cryptoSign('sha1', d, privateKey),
      template: 'User',
    });
    const p = parseCsr(Buffer.from(bytes));
    expect(p.signatureAlgorithm).toMatchObject({ kind: 'rsa-pkcs1', hash: 'sha1' });
    expect(p.microsoft.templateName).toBe('User');
  });

  it('decodes a WebCrypto-style P1363 ECDSA signature converted to DER', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const bytes = await buildCsr({
      spki: publicKey.export({ format: 'der', type: 'spki' }),
      keyKind: 'ec',
      hash: 'SHA-384',
      sign: async (d) => p1363ToDer(cryptoSign('sha384', d, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
    });
    expect(parseCsr(Buffer.from(bytes)).key).toEqual({ kind: 'ec', curve: 'P-384' });
  });

  it('reads the v2 template OID from the 1.3.6.1.4.1.311.21.7 extension', () => {
    const templateOid = '1.3.6.1.4.1.311.21.8.1.2.3';
    const p = parseCsr(
      craftCsr({ extensions: [ext(OID.certificateTemplate, seq(oid(templateOid), integer(100), integer(2)))] }),
    );
    expect(p.microsoft.templateOid).toBe(templateOid);
  });
});
