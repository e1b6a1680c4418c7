/**
 * Hand-made PKI for the relying-party suites: keys, certificates, CRLs and OCSP responses
 * built with x509/der.ts and the extension encoders Tessera itself uses, signed with
 * node:crypto — well formed unless a test asks for a specific flaw (a missing EKU, a CA
 * without keyCertSign, SHA-1, a stale CRL, an unauthorised OCSP signer…). The OCSP and
 * CRL objects are served over real HTTP by `PkiServer`.
 */
import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  parseOcspRequest,
  responderIdByKey,
  responseData,
  singleResponse,
  successfulResponse,
  ocspErrorResponse,
  type CertStatus,
} from '../../../src/x509/ocsp.js';
import {
  bitString,
  enumerated,
  explicit,
  generalizedTime,
  integer,
  nul,
  octets,
  oid,
  seq,
  tlv,
  time,
} from '../../../src/x509/der.js';
import {
  applicationPoliciesExtension,
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  crlDistributionPointsValue,
  extension,
  extKeyUsageExtension,
  keyUsageExtension,
  sidExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  ocspNoCheckExtension,
} from '../../../src/x509/extensions.js';
import type { GeneralName } from '../../../src/x509/generalNames.js';
import { encodeName, type NameAttribute } from '../../../src/x509/name.js';
import { OID } from '../../../src/x509/oids.js';
import { keyIdentifier, subjectPublicKeyBits } from '../../../src/x509/publicKey.js';

export interface Key {
  readonly privateKey: KeyObject;
  readonly spki: Buffer;
  readonly kind: 'ec' | 'rsa';
}

export function newKey(kind: 'p256' | 'rsa2048' | 'rsa1024' = 'p256'): Key {
  const kp =
    kind === 'p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: kind === 'rsa1024' ? 1024 : 2048 });
  return {
    privateKey: kp.privateKey,
    spki: kp.publicKey.export({ format: 'der', type: 'spki' }),
    kind: kind === 'p256' ? 'ec' : 'rsa',
  };
}

export function sigAlgDer(k: Key, hash: 'sha1' | 'sha256' = 'sha256'): Buffer {
  if (k.kind === 'ec') return seq(oid(hash === 'sha1' ? OID.ecdsaWithSHA1 : OID.ecdsaWithSHA256));
  return seq(oid(hash === 'sha1' ? OID.sha1WithRSAEncryption : OID.sha256WithRSAEncryption), nul());
}

export function signWith(k: Key, data: Buffer, hash: 'sha1' | 'sha256' = 'sha256'): Buffer {
  return cryptoSign(hash, data, k.privateKey);
}

/** A certificate and its key. */
export interface Issued {
  readonly der: Buffer;
  readonly key: Key;
  readonly subject: Buffer;
  readonly serial: string;
}

export interface CertSpec {
  readonly subject: readonly NameAttribute[];
  /** The subject's key (a fresh P-256 key when absent). */
  readonly key?: Key;
  /** Self-signed when absent. */
  readonly issuer?: Issued;
  /** Signs instead of the issuer's key (a forged signature), keeping the issuer's name. */
  readonly signingKey?: Key;
  readonly serial?: bigint;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** basicConstraints: true / { pathLen } for a CA, false for cA FALSE, null for none. */
  readonly ca?: boolean | { readonly pathLen?: number } | null;
  /** null: no keyUsage extension. */
  readonly keyUsage?:
    | readonly (
        | 'digitalSignature'
        | 'nonRepudiation'
        | 'keyEncipherment'
        | 'dataEncipherment'
        | 'keyAgreement'
        | 'keyCertSign'
        | 'cRLSign'
      )[]
    | null;
  readonly eku?: readonly string[] | null;
  readonly san?: readonly GeneralName[];
  readonly sid?: string;
  readonly appPolicies?: readonly string[];
  readonly crlUrls?: readonly string[];
  readonly ocspUrl?: string;
  readonly ocspNoCheck?: boolean;
  readonly hash?: 'sha1' | 'sha256';
  /** More whole Extension TLVs. */
  readonly extra?: readonly Buffer[];
  /** Extensions (by OID) to leave out of those makeCert adds itself (e.g. the AKI or SKI). */
  readonly omit?: readonly string[];
  /** The issuer Name DER to write instead of the issuer's subject (name-comparison cases). */
  readonly issuerName?: Buffer;
}

let serials = 0x1000n;

export function makeCert(s: CertSpec): Issued {
  const key = s.key ?? newKey();
  const subject = encodeName(s.subject);
  const issuerName = s.issuerName ?? (s.issuer ? s.issuer.subject : subject);
  const signer = s.signingKey ?? (s.issuer ? s.issuer.key : key);
  const serial = s.serial ?? ++serials * 0x10001n;
  const now = Date.now();
  const nb = s.notBefore ?? new Date(now - 3600_000);
  const na = s.notAfter ?? new Date(now + 30 * 86_400_000);
  const isCa = s.ca === true || (typeof s.ca === 'object' && s.ca !== null);
  const exts: Buffer[] = [];
  if (s.ca !== null && s.ca !== undefined)
    exts.push(basicConstraintsExtension(isCa, typeof s.ca === 'object' && s.ca ? s.ca.pathLen : undefined));
  else if (s.ca === undefined && !s.issuer) exts.push(basicConstraintsExtension(true));
  const ku =
    s.keyUsage === undefined
      ? isCa || (!s.issuer && s.ca === undefined)
        ? (['digitalSignature', 'keyCertSign', 'cRLSign'] as const)
        : (['digitalSignature', 'keyEncipherment'] as const)
      : s.keyUsage;
  if (ku) exts.push(keyUsageExtension(ku as never));
  if (s.eku) exts.push(extKeyUsageExtension(s.eku));
  if (s.san?.length) exts.push(subjectAltNameExtension(s.san, false));
  if (s.sid) exts.push(sidExtension(s.sid));
  if (s.appPolicies) exts.push(applicationPoliciesExtension(s.appPolicies));
  exts.push(subjectKeyIdentifierExtension(keyIdentifier(key.spki)));
  if (s.issuer) exts.push(authorityKeyIdentifierExtension(keyIdentifier(s.issuer.key.spki)));
  if (s.crlUrls?.length) exts.push(extension(OID.cRLDistributionPoints, false, crlDistributionPointsValue(s.crlUrls)));
  if (s.ocspUrl) exts.push(authorityInfoAccessExtension({ ocsp: s.ocspUrl }));
  if (s.ocspNoCheck) exts.push(ocspNoCheckExtension());
  const kept = s.omit?.length ? exts.filter((e) => !s.omit!.some((o) => e.subarray(0, 16).includes(oid(o)))) : exts;
  kept.push(...(s.extra ?? []));
  const alg = sigAlgDer(signer, s.hash);
  const tbs = seq(
    explicit(0, integer(2)),
    integer(serial),
    alg,
    issuerName,
    seq(time(nb), time(na)),
    subject,
    key.spki,
    explicit(3, seq(...kept)),
  );
  const der = seq(tbs, alg, bitString(signWith(signer, tbs, s.hash)));
  return { der, key, subject, serial: serialHex(serial) };
}

/** Unsigned hex of a serial as the validator prints it (no leading zero octets). */
export function serialHex(n: bigint): string {
  const h = n.toString(16);
  return h.length % 2 ? `0${h}` : h;
}

export interface CrlSpec {
  readonly issuer: Issued;
  readonly thisUpdate?: Date;
  /** null: no nextUpdate. */
  readonly nextUpdate?: Date | null;
  readonly revoked?: readonly { readonly serial: string; readonly at?: Date; readonly reason?: number }[];
  readonly number?: number;
  /** A delta CRL on this base number. */
  readonly deltaOf?: number;
  readonly freshest?: readonly string[];
  readonly signingKey?: Key;
  readonly hash?: 'sha1' | 'sha256';
  readonly extra?: readonly Buffer[];
}

export function makeCrl(s: CrlSpec): Buffer {
  const signer = s.signingKey ?? s.issuer.key;
  const alg = sigAlgDer(signer, s.hash);
  const now = Date.now();
  const entries = (s.revoked ?? []).map((r) => {
    const fields = [integer(BigInt(`0x${r.serial}`)), time(r.at ?? new Date(now - 60_000))];
    if (r.reason !== undefined) fields.push(seq(extension(OID.cRLReason, false, enumerated(r.reason))));
    return seq(...fields);
  });
  const exts = [
    authorityKeyIdentifierExtension(keyIdentifier(s.issuer.key.spki)),
    extension(OID.cRLNumber, false, integer(s.number ?? 1)),
  ];
  if (s.deltaOf !== undefined) exts.push(extension(OID.deltaCRLIndicator, true, integer(s.deltaOf)));
  if (s.freshest?.length) exts.push(extension(OID.freshestCRL, false, crlDistributionPointsValue(s.freshest)));
  exts.push(...(s.extra ?? []));
  const next = s.nextUpdate === undefined ? new Date(now + 86_400_000) : s.nextUpdate;
  const tbs = seq(
    integer(1),
    alg,
    s.issuer.subject,
    time(s.thisUpdate ?? new Date(now - 60_000)),
    ...(next ? [time(next)] : []),
    ...(entries.length ? [seq(...entries)] : []),
    explicit(0, seq(...exts)),
  );
  return seq(tbs, alg, bitString(signWith(signer, tbs, s.hash)));
}

export interface OcspSpec {
  /** The CertID DER as the client sent it. */
  readonly certId: Buffer;
  readonly status: CertStatus;
  /** The nonce extension to echo (as received), or a different one, or none. */
  readonly nonce?: Buffer;
  /** Who signs: the CA itself, or a delegated responder (its certificate is included). */
  readonly signer: Issued;
  readonly includeCerts?: readonly Buffer[];
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
  /** ResponderID byKey of this key instead of the signer's. */
  readonly responderKey?: Key;
}

export function makeOcspResponse(s: OcspSpec): Buffer {
  const now = Date.now();
  const single = singleResponse(
    s.certId,
    s.status,
    s.thisUpdate ?? new Date(now - 60_000),
    s.nextUpdate ?? new Date(now + 3600_000),
  );
  const keyHash = createHash('sha1')
    .update(subjectPublicKeyBits((s.responderKey ?? s.signer.key).spki))
    .digest();
  const rd = responseData(responderIdByKey(keyHash), new Date(now), [single], s.nonce ? [s.nonce] : []);
  return successfulResponse(rd, sigAlgDer(s.signer.key), signWith(s.signer.key, rd), s.includeCerts ?? []);
}

export { ocspErrorResponse };

/** A nonce extension with other bytes than the client's. */
export const otherNonce = () => extension(OID.ocspNonce, false, octets(Buffer.alloc(32, 7)));

export type OcspHandler = (req: {
  certId: Buffer;
  serial: string;
  nonce?: Buffer;
}) => Buffer | 'hang' | 'close' | { status: number };

/**
 * A real HTTP listener on 127.0.0.1 serving CRLs (GET /<name>.crl) and an OCSP responder
 * (POST /ocsp) whose answers a test decides.
 */
export class PkiServer {
  readonly crls = new Map<string, Buffer | { status: number }>();
  ocsp: OcspHandler = () => ({ status: 503 });
  readonly requests: string[] = [];
  #server!: Server;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        this.requests.push(`${req.method} ${req.url}`);
        if (req.method === 'POST' && req.url === '/ocsp') {
          const body = Buffer.concat(chunks);
          const parsed = parseOcspRequest(body);
          const id = parsed.certIds[0];
          const a = this.ocsp({ certId: id.der, serial: id.serial, nonce: parsed.nonce });
          if (a === 'hang') return; // never answers: the client's deadline decides
          if (a === 'close') return req.socket.destroy();
          if (!Buffer.isBuffer(a)) return res.writeHead(a.status).end();
          return res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(a);
        }
        const crl = this.crls.get((req.url ?? '').slice(1));
        if (!crl) return res.writeHead(404).end();
        if (!Buffer.isBuffer(crl)) return res.writeHead(crl.status).end();
        return res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crl);
      });
    });
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

/** A two-tier hand-made hierarchy with revocation URLs on `pki`. */
export function hierarchy(pki: PkiServer, name = 'Other') {
  const root = makeCert({
    subject: [
      { type: 'O', value: `${name} Org` },
      { type: 'CN', value: `${name} Root CA` },
    ],
    ca: true,
  });
  const issuing = makeCert({
    subject: [
      { type: 'O', value: `${name} Org` },
      { type: 'CN', value: `${name} Issuing CA` },
    ],
    issuer: root,
    ca: { pathLen: 0 },
    crlUrls: [`${pki.url}/${name}-root.crl`],
  });
  return { root, issuing };
}

export { tlv, generalizedTime };
