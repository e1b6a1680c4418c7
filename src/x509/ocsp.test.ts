/**
 * The one OCSP codec (ocsp.ts): the relying party's request is what the responder's
 * parser reads, the responder's response is what the relying party's decoder reads
 * (RFC 6960 §4.1, §4.2), and both decoders keep their refusals.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TesseraError } from '../errors/TesseraError.js';
import { bitString, bool, enumerated, explicit, generalizedTime, integer, nul, octets, oid, seq } from './der.js';
import { tlv, TAG } from './der.js';
import { extension } from './extensions.js';
import { encodeName } from './name.js';
import {
  encodeCertId,
  encodeOcspRequest,
  issuerHashes,
  nonceExtension,
  ocspErrorResponse,
  OcspRequestError,
  ocspStatusName,
  parseOcspRequest,
  readOcspResponse,
  responderIdByKey,
  responseData,
  singleResponse,
  successfulResponse,
} from './ocsp.js';
import { OID } from './oids.js';
import { keyIdentifier } from './publicKey.js';

const subject = encodeName([{ type: 'CN', value: 'Unit CA' }]);
const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
const { nameHash, keyHash } = issuerHashes('sha1', subject, spki);
const certId = encodeCertId(nameHash, keyHash, integer(0x4abc));
const sigAlg = seq(oid('1.2.840.10045.4.3.2'));
const t0 = new Date(Date.UTC(2030, 0, 1));
const t1 = new Date(Date.UTC(2030, 0, 2));

function requestRefusal(der: Buffer): string {
  try {
    parseOcspRequest(der);
  } catch (e) {
    expect(e).toBeInstanceOf(OcspRequestError);
    return (e as OcspRequestError).detail;
  }
  throw new Error('expected the request to be refused');
}

function responseRefusal(der: Buffer): string {
  try {
    readOcspResponse(der, 'SIGNIN_OCSP_INVALID');
  } catch (e) {
    expect((e as TesseraError).code).toBe('SIGNIN_OCSP_INVALID');
    return (e as TesseraError).detail ?? '';
  }
  throw new Error('expected the response to be refused');
}

/** A successful response around hand-written SingleResponses and ResponseData tail. */
const respond = (singles: Buffer[], exts: Buffer[] = []) =>
  successfulResponse(responseData(responderIdByKey(keyHash), t0, singles, exts), sigAlg, Buffer.alloc(64, 3), []);
const GOOD = Buffer.from([0x80, 0]);

describe('OCSP codec: requests', () => {
  it('the client request is what the responder reads: the CertID, its bytes and the nonce extension to echo', () => {
    const nonce = Buffer.alloc(32, 5);
    const req = parseOcspRequest(encodeOcspRequest([certId], nonce));
    expect(req.certIds).toHaveLength(1);
    expect(req.certIds[0]).toMatchObject({ der: certId, hashAlgorithm: OID.sha1, serial: '4abc' });
    expect(req.certIds[0]).toMatchObject({ issuerNameHash: nameHash, issuerKeyHash: keyHash });
    expect(req.nonce).toEqual(nonceExtension(nonce));
    expect(parseOcspRequest(encodeOcspRequest([certId])).nonce).toBeUndefined();
    // The key hash is the SHA-1 key identifier, ResponderID byKey's KeyHash (RFC 6960 §4.2.1).
    expect(keyHash).toEqual(keyIdentifier(spki));
  });

  it('echoes a critical nonce extension as sent and ignores other request extensions, critical or not', () => {
    const critical = extension(OID.ocspNonce, true, octets(Buffer.alloc(8, 1)));
    const der = seq(seq(seq(seq(certId)), explicit(2, seq(extension('1.2.3.4', true, nul()), critical))));
    expect(parseOcspRequest(der).nonce).toEqual(critical);
  });

  it('refuses two nonces, a written-out critical FALSE, a negative serial and a nonce longer than 32 octets', () => {
    const n = nonceExtension(Buffer.alloc(4, 1));
    const withExts = (...e: Buffer[]) => seq(seq(seq(seq(certId)), explicit(2, seq(...e))));
    expect(requestRefusal(withExts(n, n))).toMatch(/appears twice/);
    const explicitFalse = seq(oid(OID.ocspNonce), bool(false), octets(octets(Buffer.alloc(4))));
    expect(requestRefusal(withExts(explicitFalse))).toMatch(/critical FALSE/);
    expect(requestRefusal(withExts(nonceExtension(Buffer.alloc(33, 1))))).toMatch(/nonce of 33 octets/);
    const negative = encodeCertId(nameHash, keyHash, tlv(TAG.INTEGER, Buffer.from([0xff, 0x01])));
    expect(requestRefusal(encodeOcspRequest([negative]))).toMatch(/negative serial/);
  });

  it('turns a refusal of the shared readers into a malformed request, never another error', () => {
    // An INTEGER version too large for read.smallInt (a TesseraError inside): still an OcspRequestError.
    const der = seq(seq(explicit(0, integer(2n ** 60n)), seq(seq(certId))));
    expect(requestRefusal(der)).toMatch(/INTEGER too large/);
  });
});

describe('OCSP codec: responses', () => {
  it('the responder response is what the client reads', () => {
    const revoked = singleResponse(certId, { kind: 'revoked', revokedAt: t0, reason: 1 }, t0, t1);
    const good = singleResponse(certId, { kind: 'good' }, t0, t1);
    const nonce = nonceExtension(Buffer.alloc(16, 2));
    const r = readOcspResponse(respond([revoked, good], [nonce]));
    expect(r.status).toBe(0);
    const b = r.basic!;
    expect(b.responderId).toEqual({ byKey: keyHash });
    expect(b.producedAt).toEqual(t0);
    expect(b.signature).toEqual(Buffer.alloc(64, 3));
    expect(b.signatureAlgorithm).toEqual(sigAlg);
    expect(b.extensions.get(OID.ocspNonce)?.value).toEqual(octets(Buffer.alloc(16, 2)));
    const fields = b.responses.map((s) => [s.certId.serial, s.status, s.reason, s.revokedAt, s.thisUpdate]);
    expect(fields).toEqual([
      ['4abc', 'revoked', 1, t0, t0],
      ['4abc', 'good', undefined, undefined, t0],
    ]);
    expect(b.responses.map((s) => s.nextUpdate)).toEqual([t1, t1]);
  });

  it('reads an unsuccessful status without responseBytes', () => {
    expect(readOcspResponse(ocspErrorResponse('tryLater'))).toEqual({ status: 3 });
    expect(ocspStatusName(3)).toBe('tryLater');
    expect(ocspStatusName(4)).toBe('(4)');
  });

  it('refuses times RFC 5280 §4.1.2.5.2 does not allow, critical unknown extensions and a bad version', () => {
    const gt = (s: string) => tlv(TAG.GeneralizedTime, Buffer.from(s));
    expect(responseRefusal(respond([seq(certId, GOOD, gt('20300101000000.5Z'))]))).toMatch(/GeneralizedTime/);
    expect(responseRefusal(respond([seq(certId, GOOD, gt('20300101000000+0100'))]))).toMatch(/GeneralizedTime/);
    expect(responseRefusal(respond([seq(certId, GOOD, gt('20301301000000Z'))]))).toMatch(/names no instant/);
    const critical = extension('1.2.3.4', true, nul());
    const inSingle = seq(certId, GOOD, generalizedTime(t0), explicit(1, seq(critical)));
    expect(responseRefusal(respond([inSingle]))).toMatch(/unrecognised critical extension/);
    const good = singleResponse(certId, { kind: 'good' }, t0, t1);
    expect(responseRefusal(respond([good], [critical]))).toMatch(/unrecognised critical extension/);
    const v2 = seq(explicit(0, integer(1)), responderIdByKey(keyHash), generalizedTime(t0), seq(good));
    expect(responseRefusal(successfulResponse(v2, sigAlg, Buffer.alloc(8), []))).toMatch(/version/);
  });

  it('refuses unused signature bits, an unknown CertStatus, fields out of order and a non-basic response', () => {
    const rd = responseData(responderIdByKey(keyHash), t0, [singleResponse(certId, { kind: 'good' }, t0, t1)], []);
    const basic = seq(rd, sigAlg, bitString(Buffer.from([0x80]), 7));
    const wrap = (type: string, b: Buffer) => seq(enumerated(0), explicit(0, seq(oid(type), octets(b))));
    expect(responseRefusal(wrap(OID.ocspBasic, basic))).toMatch(/unused bits/);
    expect(responseRefusal(wrap('1.2.3.4', basic))).toMatch(/not id-pkix-ocsp-basic/);
    expect(responseRefusal(respond([seq(certId, Buffer.from([0x83, 0]), generalizedTime(t0))]))).toMatch(/CertStatus/);
    const ext = explicit(1, seq(extension('1.2.3', false, nul())));
    const swapped = seq(certId, GOOD, generalizedTime(t0), ext, explicit(0, generalizedTime(t1)));
    expect(responseRefusal(respond([swapped]))).toMatch(/unexpected field in SingleResponse/);
  });
});
