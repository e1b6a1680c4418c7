/**
 * CMS-wrapped certificate requests, the two forms AD CS accepts besides a bare PKCS#10
 * (learn.microsoft.com "CMC Request", "CMC EOBO Request"; docs/certsrv.md §7):
 *
 *  - a CMC Full PKI Request (RFC 5272 §3.2): SignedData whose eContentType is
 *    id-cct-PKIData, with controls and exactly one PKCS#10 (`tcr`). Windows signs it with
 *    the request key (sid = subjectKeyIdentifier) and, for enroll on behalf, adds a second
 *    SignerInfo by the enrollment agent certificate and an id-cmc-regInfo control
 *    `RequesterName=DOMAIN%5Cuser&` (learn.microsoft.com "CMC EOBO Encoded ASN.1");
 *  - a PKCS#7 request: SignedData over id-data whose content is a PKCS#10, signed by an
 *    enrollment agent that names the target in the szOID_ENROLLMENT_NAME_VALUE_PAIR
 *    (1.3.6.1.4.1.311.13.2.1) signed attribute `RequesterName` (CertEnroll
 *    IX509CertificateRequestPkcs7::put_RequesterName; Certipy `create_on_behalf_of`).
 *
 * Every SignerInfo is verified (RFC 5652 §5.6). A proof-of-possession signature that does
 * not verify refuses the request (CMC_POP_INVALID); agent signatures are reported with
 * `signatureValid` so the RA denies with AGENT_SIGNATURE_INVALID and audits who signed.
 * Whether an agent certificate is trusted, valid, unrevoked and permitted is the RA's
 * business (ra/agentEvidence.ts), not the decoder's.
 */
import type { Attribute } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { EnrollmentNameValuePair } from '@peculiar/asn1-x509-microsoft';
import { TesseraError } from '../../errors/TesseraError.js';
import { parseCsr, type ParsedCsr } from '../csr.js';
import { children, read, readTlv, TAG } from '../der.js';
import { OID } from '../oids.js';
import { keyIdentifier } from '../publicKey.js';
import type { DecodedRequest, RequestSigner } from '../request.js';
import { checkSigners, guardDer, type SignerCheck } from './checkSigners.js';
import { CMC_OID, MAX_BODY_PART_ID } from './cmcOids.js';
import { CmcAddAttributesInfo } from './CmcAddAttributesInfo.js';
import { PKIData } from './PKIData.js';
import { parseAs, readSignedData, type SignedContent } from './readSignedData.js';
import { parseRegInfo } from './regInfo.js';
import type { TaggedAttribute } from './TaggedAttribute.js';

/** The attribute name a RequesterName travels under, case-insensitively (MS-WCCE 3.2.1.4.2.1.4). */
const REQUESTER_NAME = 'requestername';

/**
 * Controls Tessera understands (RFC 5272 §3.2.1.2: a server fails the whole PKIData for a
 * control it does not recognise). The RFC 5272 §6 controls not listed here change what
 * is issued or how it is proven (addExtensions, identityProof, popLinkWitness, ...) or
 * ask for another operation (getCert, revokeRequest, batchRequests, ...); Tessera does
 * not implement them and refuses rather than ignoring them.
 */
const UNDERSTOOD = new Set<string>([
  CMC_OID.regInfo,
  CMC_OID.msAddAttributes,
  CMC_OID.transactionId,
  CMC_OID.senderNonce,
  CMC_OID.identification,
]);

export function decodeCmsRequest(der: Buffer): DecodedRequest {
  const sc = readSignedData(der);
  if (sc.signedData.signerInfos.length === 0)
    throw new TesseraError('CMC_UNSIGNED', 'the SignedData has no SignerInfo');
  if (sc.eContentType === CMC_OID.idCctPKIData) return decodeCmc(der, sc);
  if (sc.eContentType === OID.data) return decodePkcs7(der, sc);
  throw new TesseraError(
    'REQUEST_FORMAT_UNSUPPORTED',
    `SignedData eContentType ${sc.eContentType} is neither id-cct-PKIData nor id-data`,
  );
}

// -----------------------------------------------------------------------------------------
// CMC Full PKI Request
// -----------------------------------------------------------------------------------------

function bodyPartId(n: number, where: string): number {
  // RFC 5272 §3.2.1.1: BodyPartID ::= INTEGER(0..4294967295)
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_BODY_PART_ID)
    throw new TesseraError('REQUEST_MALFORMED', `${where}: bodyPartID ${n} is outside 0..4294967295`);
  return n;
}

function decodeCmc(der: Buffer, sc: SignedContent): DecodedRequest {
  // The eContent is an OCTET STRING, so the outer walk did not look inside it.
  guardDer(sc.eContent, 'PKIData');
  const pki = parseAs(sc.eContent, PKIData, 'PKIData');

  // RFC 5272 §3.2.1.1: a bodyPartID identifies one element of the PKIData.
  const seen = new Set<number>();
  const claim = (id: number, where: string) => {
    bodyPartId(id, where);
    if (id !== 0 && seen.has(id))
      throw new TesseraError('REQUEST_MALFORMED', `${where}: bodyPartID ${id} is used twice in the PKIData`);
    seen.add(id);
  };
  pki.controlSequence.forEach((c, i) => {
    claim(c.bodyPartID, `control ${i + 1} (${c.attrType})`);
  });

  if (pki.cmsSequence.length)
    throw new TesseraError('CMC_NESTED_UNSUPPORTED', `cmsSequence has ${pki.cmsSequence.length} element(s)`);
  if (pki.otherMsgSequence.length)
    throw new TesseraError('CMC_NESTED_UNSUPPORTED', `otherMsgSequence has ${pki.otherMsgSequence.length} element(s)`);
  if (pki.reqSequence.length === 0) throw new TesseraError('CMC_NO_REQUEST', 'reqSequence is empty');
  if (pki.reqSequence.length > 1)
    throw new TesseraError('CMC_MULTIPLE_REQUESTS', `reqSequence has ${pki.reqSequence.length} TaggedRequests`);
  const [tagged] = pki.reqSequence;
  if (tagged.crm) throw new TesseraError('CMC_CRMF_UNSUPPORTED', 'the TaggedRequest is a CRMF CertReqMsg (crm)');
  if (tagged.orm)
    throw new TesseraError(
      'CMC_CRMF_UNSUPPORTED',
      `the TaggedRequest is an other request message (orm) of type ${tagged.orm.requestMessageType}`,
    );
  const tcr = tagged.tcr!;
  claim(tcr.bodyPartID, 'TaggedCertificationRequest');
  const csr = parseCsr(Buffer.from(tcr.certificationRequest));

  const controls = interpretControls(pki.controlSequence, tcr.bodyPartID);
  const checks = checkSigners(sc, csr.spki, requestKeyIds(csr));
  const signers = signersOf(checks);
  return {
    format: 'cmc',
    der,
    csr,
    requesterName: controls.requesterName,
    signers,
    attributes: controls.attributes,
    bodyPartId: tcr.bodyPartID,
  };
}

interface Controls {
  requesterName: string | null;
  attributes: Record<string, string>;
}

/** One attribute value, which must be one DER TLV of the given tag. */
function single(c: TaggedAttribute, tag: number, what: string): Uint8Array {
  if (c.attrValues.length !== 1)
    throw new TesseraError('REQUEST_MALFORMED', `${what} (bodyPartID ${c.bodyPartID}) must have exactly one value`);
  const v = new Uint8Array(c.attrValues[0]);
  const t = readTlv(v, 0, v.length);
  if (t.tag !== tag)
    throw new TesseraError('REQUEST_MALFORMED', `${what} (bodyPartID ${c.bodyPartID}) has the wrong type`);
  return v.subarray(t.contentStart, t.end);
}

function interpretControls(controls: readonly TaggedAttribute[], requestId: number): Controls {
  const attributes: Record<string, string> = {};
  let requesterName: string | null = null;
  const setRequester = (name: string, where: string) => {
    if (requesterName !== null && requesterName !== name)
      throw new TesseraError(
        'REQUEST_MALFORMED',
        `${where}: RequesterName "${name}" conflicts with "${requesterName}"`,
      );
    requesterName = name;
  };
  for (const c of controls) {
    if (!UNDERSTOOD.has(c.attrType)) {
      throw new TesseraError('CMC_CONTROL_UNSUPPORTED', `control ${c.attrType} (bodyPartID ${c.bodyPartID})`);
    }
    if (c.attrType === CMC_OID.regInfo) {
      // RFC 5272 §6.11 RegInfo ::= OCTET STRING; Windows: URL-encoded name=value& pairs.
      if (c.attrValues.length === 0)
        throw new TesseraError('REQUEST_MALFORMED', `regInfo (bodyPartID ${c.bodyPartID}) has no value`);
      for (const value of c.attrValues) {
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(AsnConvert.parse(value, OctetString).buffer);
        } catch {
          throw new TesseraError(
            'REQUEST_MALFORMED',
            `regInfo (bodyPartID ${c.bodyPartID}) is not a UTF-8 OCTET STRING`,
          );
        }
        let pairs: [string, string][];
        try {
          pairs = parseRegInfo(text);
        } catch (e) {
          throw new TesseraError('REQUEST_MALFORMED', `regInfo (bodyPartID ${c.bodyPartID}): ${(e as Error).message}`);
        }
        for (const [name, v] of pairs) {
          if (name.toLowerCase() === REQUESTER_NAME) setRequester(v, 'regInfo');
          else attributes[name.toLowerCase()] = v;
        }
      }
    } else if (c.attrType === CMC_OID.msAddAttributes) {
      for (const value of c.attrValues) addAttributes(value, c.bodyPartID, requestId, attributes);
    } else if (c.attrType === CMC_OID.transactionId) {
      // RFC 5272 §6.6: TransactionId ::= INTEGER, echoed in the response.
      const v = single(c, TAG.INTEGER, 'transactionId');
      if (v.length === 0 || v.length > 64)
        throw new TesseraError('REQUEST_MALFORMED', 'transactionId has an unreasonable length');
      attributes['cmc-transactionid'] = Buffer.from(v).toString('hex');
    } else if (c.attrType === CMC_OID.senderNonce) {
      // RFC 5272 §6.6: SenderNonce ::= OCTET STRING, returned as recipientNonce.
      const v = single(c, TAG.OCTET_STRING, 'senderNonce');
      if (v.length > 64) throw new TesseraError('REQUEST_MALFORMED', 'senderNonce is longer than 64 octets');
      attributes['cmc-sendernonce'] = Buffer.from(v).toString('hex');
    } else if (c.attrType === CMC_OID.identification) {
      // RFC 5272 §6.2.3: informational without identityProof; recorded for the audit trail.
      attributes['cmc-identification'] = Buffer.from(single(c, TAG.UTF8String, 'identification'))
        .toString('utf8')
        .slice(0, 256);
    }
  }
  if (controls.length) attributes['cmc-controls'] = [...new Set(controls.map((c) => c.attrType))].join(',');
  return { requesterName, attributes };
}

/**
 * szOID_CMC_ADD_ATTRIBUTES: request attributes for the requests listed in certReferences
 * (an empty list means every request). Name-value pairs (1.3.6.1.4.1.311.13.2.1) become
 * request attributes; Client Information and the like are informational and ignored.
 */
function addAttributes(value: ArrayBuffer, bodyPart: number, requestId: number, out: Record<string, string>): void {
  const info = parseAs(new Uint8Array(value), CmcAddAttributesInfo, `CMC add-attributes (bodyPartID ${bodyPart})`);
  for (const r of info.certReferences) bodyPartId(r, 'CMC add-attributes certReferences');
  if (info.certReferences.length && !info.certReferences.includes(requestId)) return;
  for (const a of info.attributes) {
    if (a.attrType !== OID.enrollmentNameValuePair) continue;
    for (const v of a.attrValues) {
      const pair = parseAs(new Uint8Array(v), EnrollmentNameValuePair, 'enrollment name-value pair');
      out[pair.name.toLowerCase()] = pair.value;
    }
  }
}

// -----------------------------------------------------------------------------------------
// PKCS#7 (id-data over a PKCS#10), the Windows and Certipy enroll-on-behalf form
// -----------------------------------------------------------------------------------------

function decodePkcs7(der: Buffer, sc: SignedContent): DecodedRequest {
  const csr = parseCsr(sc.eContent);
  const checks = checkSigners(sc, csr.spki, requestKeyIds(csr));
  let requesterName: string | null = null;
  const attributes: Record<string, string> = {};
  for (const c of checks) {
    // Only authenticated (signed) attributes can name the target.
    for (const pair of nameValuePairs(c.signedAttrs)) {
      if (pair.name.toLowerCase() === REQUESTER_NAME) {
        if (requesterName !== null && requesterName !== pair.value)
          throw new TesseraError(
            'REQUEST_MALFORMED',
            `RequesterName "${pair.value}" conflicts with "${requesterName}"`,
          );
        requesterName = pair.value;
      } else {
        attributes[pair.name.toLowerCase()] = pair.value;
      }
    }
  }
  return { format: 'pkcs7', der, csr, requesterName, signers: signersOf(checks), attributes, bodyPartId: null };
}

function nameValuePairs(attrs: readonly Attribute[]): EnrollmentNameValuePair[] {
  const out: EnrollmentNameValuePair[] = [];
  for (const a of attrs) {
    if (a.attrType !== OID.enrollmentNameValuePair) continue;
    for (const v of a.attrValues)
      out.push(parseAs(new Uint8Array(v), EnrollmentNameValuePair, 'enrollment name-value pair'));
  }
  return out;
}

/** Certipy adds the signer's application policies (1.3.6.1.4.1.311.21.10) as a signed attribute. */
function assertedPolicies(attrs: readonly Attribute[]): string | undefined {
  const a = attrs.find((x) => x.attrType === OID.applicationPolicies);
  if (!a) return undefined;
  const oids: string[] = [];
  for (const v of a.attrValues) {
    try {
      const b = new Uint8Array(v);
      const t = readTlv(b, 0, b.length);
      if (t.tag === TAG.OID) oids.push(read.oid(b, t));
      else if (t.tag === TAG.SEQUENCE)
        for (const p of children(b, t)) oids.push(read.oid(b, p.tag === TAG.SEQUENCE ? children(b, p)[0] : p));
    } catch {
      /* informational only */
    }
  }
  return oids.length ? `asserted application policies ${oids.join(', ')}` : undefined;
}

// -----------------------------------------------------------------------------------------

/** Identifiers that name the request key in a SignerInfo sid (RFC 5280 §4.2.1.2 method 1, or the request's SKI). */
function requestKeyIds(csr: ParsedCsr): Buffer[] {
  const ids = [keyIdentifier(csr.spki)];
  const ext = csr.extensions.find((e) => e.oid === OID.subjectKeyIdentifier);
  if (ext) {
    try {
      const t = readTlv(ext.value, 0, ext.value.length);
      if (t.tag === TAG.OCTET_STRING) ids.push(Buffer.from(read.bytes(ext.value, t)));
    } catch {
      /* a malformed SKI extension simply names nothing */
    }
  }
  return ids;
}

/**
 * Proof of possession must verify; every other signature is passed on for the RA to judge.
 * (RFC 5272 §6.3.1: with a PKCS#10 the request's own signature is the POP, so a request
 * signed only by an agent is acceptable; one whose POP SignerInfo fails is not.)
 */
function signersOf(checks: readonly SignerCheck[]): RequestSigner[] {
  const badPop = checks.find((c) => c.kind === 'pop' && !c.valid);
  if (badPop) throw new TesseraError('CMC_POP_INVALID', `SignerInfo ${badPop.index + 1}: ${badPop.problem}`);
  return checks
    .filter((c) => c.kind === 'certificate')
    .map((c) => {
      const asserted = assertedPolicies(c.signedAttrs);
      const detail = c.problem ?? asserted;
      return { certificate: c.certificate!.der, signatureValid: c.valid, ...(detail ? { detail } : {}) };
    });
}
