/**
 * The PKCS#7 enroll-on-behalf request as Certipy's `create_on_behalf_of` and CertEnroll's
 * IX509CertificateRequestPkcs7 (RequesterName) produce it (docs/certsrv.md §7),
 * built with PKI.js — an implementation independent of Tessera's encoder:
 *
 *   SignedData { id-data eContent = PKCS#10, certificates { agent }, signerInfos {
 *     v1 issuerAndSerialNumber(agent), signedAttrs { contentType, messageDigest,
 *     1.3.6.1.4.1.311.13.2.1 { "requestername", "DOMAIN\\user" },
 *     1.3.6.1.4.1.311.21.10 { clientAuth } } } }
 */
import { createHash, webcrypto, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const crypto = webcrypto as unknown as Crypto;
pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto }));

function bmp(s: string): asn1js.BmpString {
  return new asn1js.BmpString({ value: s });
}

export async function pkcs7OnBehalf(o: {
  csr: Uint8Array;
  requesterName: string;
  agentCertificate: Uint8Array;
  agentKey: KeyObject;
  /** 'pair' name; Certipy writes "requestername". */
  pairName?: string;
  /** Put the pair in unsignedAttrs instead (it must then be ignored). */
  unsigned?: boolean;
  /**
   * PKI.js writes eContent as a constructed (BER) OCTET STRING; Windows and Certipy write
   * DER, which is what Tessera accepts. `ber: true` keeps PKI.js's form.
   */
  ber?: boolean;
}): Promise<Buffer> {
  const cert = pkijs.Certificate.fromBER(Uint8Array.from(o.agentCertificate));
  const isEc = o.agentKey.asymmetricKeyType === 'ec';
  const alg = isEc ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const pkcs8 = o.agentKey.export({ type: 'pkcs8', format: 'der' });
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
  const digest = createHash('sha256').update(o.csr).digest();
  const pair = new pkijs.Attribute({
    type: '1.3.6.1.4.1.311.13.2.1',
    values: [new asn1js.Sequence({ value: [bmp(o.pairName ?? 'requestername'), bmp(o.requesterName)] })],
  });
  const appPolicies = new pkijs.Attribute({
    type: '1.3.6.1.4.1.311.21.10',
    values: [
      new asn1js.Sequence({
        value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.3.6.1.5.5.7.3.2' })] })],
      }),
    ],
  });
  const signed = [
    new pkijs.Attribute({
      type: '1.2.840.113549.1.9.3',
      values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })],
    }),
    new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: digest })] }),
    appPolicies,
    ...(o.unsigned ? [] : [pair]),
  ];
  const signer = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: signed }),
    ...(o.unsigned ? { unsignedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 1, attributes: [pair] }) } : {}),
  });
  const eci = new pkijs.EncapsulatedContentInfo({
    eContentType: '1.2.840.113549.1.7.1',
    eContent: new asn1js.OctetString({ valueHex: o.csr }),
  });
  if (!o.ber) eci.eContent = new asn1js.OctetString({ valueHex: o.csr });
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: eci,
    signerInfos: [signer],
    certificates: [cert],
  });
  await sd.sign(key, 0, 'SHA-256');
  const ci = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) });
  return Buffer.from(ci.toSchema().toBER(false));
}
