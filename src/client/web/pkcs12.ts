/**
 * PKCS#12 (RFC 7292) built and read in the page with pkijs, so a browser key never leaves
 * the browser: "Install this certificate" for a browser key saves a password-protected
 * .p12 holding the key, the certificate and its chain.
 *
 * What we write (what OpenSSL 3 writes by default, and what Windows 10 1709+ and macOS
 * import):
 *   - the key in a pkcs8ShroudedKeyBag, PBES2 (RFC 8018) = PBKDF2-HMAC-SHA256 + AES-256-CBC;
 *   - certificate bags (leaf first, then the chain) in an EncryptedData, same PBES2;
 *   - friendlyName (1.2.840.113549.1.9.20, BMPString) and localKeyId (1.2.840.113549.1.9.21,
 *     SHA-1 of the leaf certificate, as OpenSSL and Windows pair key and certificate) on
 *     the key bag and the leaf bag;
 *   - a SHA-256 HMAC MAC over the AuthenticatedSafe with the PKCS#12 key derivation
 *     (RFC 7292 Appendix B).
 *
 * The crypto engine is passed explicitly (no global pkijs engine): WebCrypto in the page,
 * globalThis.crypto in Node tests.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { exact } from './bytes.js';

const OID_KEY_BAG_SHROUDED = '1.2.840.113549.1.12.10.1.2';
const OID_KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const OID_X509_CERT = '1.2.840.113549.1.9.22.1';
const OID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const OID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';

/** PBKDF2 rounds for the key and certificate encryption (WebCrypto does them natively). */
export const PBKDF2_ITERATIONS = 100_000;
/** PKCS#12 KDF rounds for the MAC (pkijs hashes these in JavaScript; OpenSSL's default is 2048). */
export const MAC_ITERATIONS = 10_000;

function engine(): pkijs.ICryptoEngine {
  return new pkijs.CryptoEngine({ name: 'webcrypto', crypto: globalThis.crypto });
}

export interface Pkcs12Input {
  /** PrivateKeyInfo (PKCS#8) DER of the key. */
  readonly privateKey: Uint8Array;
  /** The leaf certificate (DER). */
  readonly certificate: Uint8Array;
  /** Issuing CA, …, root (DER), in that order. */
  readonly chain: readonly Uint8Array[];
  /** friendlyName on the key and the leaf; omitted or empty: none. */
  readonly friendlyName?: string;
  readonly password: string;
}

const passwordBytes = (p: string) => exact(new TextEncoder().encode(p));

function certBag(der: Uint8Array, attributes: pkijs.Attribute[]): pkijs.SafeBag {
  // certValue set directly (not parsedValue), so the certificate bytes are kept exactly.
  const bag = new pkijs.CertBag({ certId: OID_X509_CERT, certValue: new asn1js.OctetString({ valueHex: exact(der) }) });
  return new pkijs.SafeBag({
    bagId: OID_CERT_BAG,
    bagValue: bag,
    ...(attributes.length ? { bagAttributes: attributes } : {}),
  });
}

export async function buildPkcs12(o: Pkcs12Input): Promise<Uint8Array> {
  if (!o.password) throw new RangeError('a PKCS#12 password is required');
  const crypto = engine();
  const password = passwordBytes(o.password);
  const localKeyId = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', exact(o.certificate)));
  const attrs = () => [
    ...(o.friendlyName
      ? [new pkijs.Attribute({ type: OID_FRIENDLY_NAME, values: [new asn1js.BmpString({ value: o.friendlyName })] })]
      : []),
    new pkijs.Attribute({ type: OID_LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: exact(localKeyId) })] }),
  ];
  // pkijs types the algorithm as CBC/GCM params with an iv; it draws the iv itself.
  const pbes2 = {
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as unknown as pkijs.ContentEncryptionAlgorithm,
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: PBKDF2_ITERATIONS,
  };

  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(exact(o.privateKey)) });
  await keyBag.makeInternalValues({ password, ...pbes2 }, crypto);

  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            // The shrouded key bag is already encrypted: plain Data around it (as OpenSSL does).
            {
              privacyMode: 0,
              value: new pkijs.SafeContents({
                safeBags: [
                  new pkijs.SafeBag({ bagId: OID_KEY_BAG_SHROUDED, bagValue: keyBag, bagAttributes: attrs() }),
                ],
              }),
            },
            {
              privacyMode: 1,
              value: new pkijs.SafeContents({
                safeBags: [certBag(o.certificate, attrs()), ...o.chain.map((c) => certBag(c, []))],
              }),
            },
          ],
        },
      }),
    },
  });
  const safe = pfx.parsedValue!.authenticatedSafe!;
  await safe.makeInternalValues({ safeContents: [{}, { password, ...pbes2 }] }, crypto);
  await pfx.makeInternalValues(
    { password, iterations: MAC_ITERATIONS, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' } as never,
    crypto,
  );
  return new Uint8Array(pfx.toSchema().toBER(false));
}

export interface Pkcs12Contents {
  /** PKCS#8 DER of the (first) private key. */
  readonly privateKey: Uint8Array;
  /** The certificate whose public key matches the private key (or is paired by localKeyId). */
  readonly certificate: Uint8Array;
  /** Every other certificate in the file. */
  readonly others: readonly Uint8Array[];
  readonly friendlyName: string | null;
}

/** Why a PKCS#12 could not be read, for the message next to the field. */
export class Pkcs12Error extends Error {
  constructor(
    readonly reason: 'password' | 'format' | 'legacy' | 'no-key' | 'no-certificate',
    message: string,
  ) {
    super(message);
    this.name = 'Pkcs12Error';
  }
}

interface BagEntry {
  readonly bag: pkijs.SafeBag;
  readonly localKeyId: string | null;
  readonly friendlyName: string | null;
}

function bagAttr(bag: pkijs.SafeBag, type: string): asn1js.AsnType | undefined {
  return bag.bagAttributes?.find((a) => a.type === type)?.values[0];
}

function describeBag(bag: pkijs.SafeBag): BagEntry {
  const id = bagAttr(bag, OID_LOCAL_KEY_ID);
  const name = bagAttr(bag, OID_FRIENDLY_NAME);
  return {
    bag,
    localKeyId: id instanceof asn1js.OctetString ? Array.from(id.valueBlock.valueHexView).join(',') : null,
    friendlyName: name instanceof asn1js.BmpString ? name.valueBlock.value : null,
  };
}

const PBES2 = '1.2.840.113549.1.5.13';
const ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const LEGACY_MESSAGE =
  'This PKCS#12 file uses legacy encryption (RC2 or 3DES), which browsers cannot open. Export ' +
  'it again with AES, for example with OpenSSL 3: openssl pkcs12 -export (without -legacy).';

/**
 * Whether an EncryptedData of the file uses something other than PBES2. Parsed from a
 * fresh copy: pkijs's fromSchema consumes the schema object it is given.
 */
function usesLegacyEncryption(der: Uint8Array): boolean {
  try {
    const pfx = pkijs.PFX.fromBER(exact(der));
    if (pfx.authSafe.contentType !== '1.2.840.113549.1.7.1') return false;
    const safe = pkijs.AuthenticatedSafe.fromBER((pfx.authSafe.content as asn1js.OctetString).getValue());
    return safe.safeContents.some(
      (ci) =>
        ci.contentType === ENCRYPTED_DATA &&
        new pkijs.EncryptedData({ schema: ci.content }).encryptedContentInfo.contentEncryptionAlgorithm.algorithmId !==
          PBES2,
    );
  } catch {
    return false;
  }
}

/** Read a PKCS#12 (PBES2-protected, as OpenSSL 3 and Tessera write them) with its password. */
export async function readPkcs12(der: Uint8Array, password: string): Promise<Pkcs12Contents> {
  const crypto = engine();
  const pw = passwordBytes(password);
  let pfx: pkijs.PFX;
  try {
    pfx = pkijs.PFX.fromBER(exact(der));
  } catch {
    throw new Pkcs12Error('format', 'This file is not a PKCS#12 (.p12 or .pfx) file.');
  }
  try {
    await pfx.parseInternalValues({ password: pw, checkIntegrity: true }, crypto);
  } catch (e) {
    const msg = e instanceof Error ? e.message : '';
    if (/Integrity/i.test(msg)) throw new Pkcs12Error('password', 'The password does not open this PKCS#12 file.');
    throw new Pkcs12Error('format', 'This PKCS#12 file could not be read.');
  }
  const safe = pfx.parsedValue?.authenticatedSafe;
  if (!safe) throw new Pkcs12Error('format', 'This PKCS#12 file could not be read.');
  const params = safe.safeContents.map((ci) => (ci.contentType === ENCRYPTED_DATA ? { password: pw } : {}));
  try {
    await safe.parseInternalValues({ safeContents: params }, crypto);
  } catch {
    if (usesLegacyEncryption(der)) throw new Pkcs12Error('legacy', LEGACY_MESSAGE);
    throw new Pkcs12Error('password', 'The password does not open this PKCS#12 file.');
  }
  const bags: BagEntry[] = [];
  for (const sc of (safe.parsedValue?.safeContents ?? []) as { value: pkijs.SafeContents }[])
    for (const b of sc.value.safeBags) bags.push(describeBag(b));

  const keyEntry = bags.find((b) => b.bag.bagId === OID_KEY_BAG_SHROUDED || b.bag.bagId === OID_KEY_BAG);
  if (!keyEntry) throw new Pkcs12Error('no-key', 'This PKCS#12 file holds no private key.');
  let privateKey: pkijs.PrivateKeyInfo;
  if (keyEntry.bag.bagId === OID_KEY_BAG_SHROUDED) {
    const shrouded = keyEntry.bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
    if (shrouded.encryptionAlgorithm.algorithmId !== PBES2) throw new Pkcs12Error('legacy', LEGACY_MESSAGE);
    try {
      await (
        shrouded as unknown as {
          parseInternalValues(p: { password: ArrayBuffer }, c: pkijs.ICryptoEngine): Promise<void>;
        }
      ).parseInternalValues({ password: pw }, crypto);
    } catch {
      throw new Pkcs12Error('password', 'The password does not open the private key in this PKCS#12 file.');
    }
    privateKey = shrouded.parsedValue!;
  } else {
    privateKey = keyEntry.bag.bagValue as pkijs.PrivateKeyInfo;
  }
  const certs = bags
    .filter((b) => b.bag.bagId === OID_CERT_BAG && (b.bag.bagValue as pkijs.CertBag).certId === OID_X509_CERT)
    .map((b) => ({
      ...b,
      der: new Uint8Array(((b.bag.bagValue as pkijs.CertBag).certValue as asn1js.OctetString).valueBlock.valueHexView),
    }));
  if (!certs.length) throw new Pkcs12Error('no-certificate', 'This PKCS#12 file holds no certificate.');
  // Pair by localKeyId first; otherwise by public key.
  let leaf = keyEntry.localKeyId ? certs.find((c) => c.localKeyId === keyEntry.localKeyId) : undefined;
  if (!leaf) {
    const keySpki = await publicKeyOf(privateKey, crypto);
    if (keySpki) leaf = certs.find((c) => sameBytes(spkiOfCertificate(c.der), keySpki));
  }
  if (!leaf) throw new Pkcs12Error('no-certificate', 'This PKCS#12 file holds no certificate for its private key.');
  return {
    privateKey: new Uint8Array(privateKey.toSchema().toBER(false)),
    certificate: leaf.der,
    others: certs.filter((c) => c !== leaf).map((c) => c.der),
    friendlyName: leaf.friendlyName ?? keyEntry.friendlyName,
  };
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** SubjectPublicKeyInfo DER of a certificate. */
export function spkiOfCertificate(der: Uint8Array): Uint8Array | null {
  try {
    const c = pkijs.Certificate.fromBER(exact(der));
    return new Uint8Array(c.subjectPublicKeyInfo.toSchema().toBER(false));
  } catch {
    return null;
  }
}

/** The public key of a PKCS#8 key, through WebCrypto (RSA via JWK n/e; EC via the embedded public key). */
async function publicKeyOf(key: pkijs.PrivateKeyInfo, crypto: pkijs.ICryptoEngine): Promise<Uint8Array | null> {
  try {
    const alg = key.privateKeyAlgorithm.algorithmId;
    const pkcs8 = key.toSchema().toBER(false);
    if (alg === '1.2.840.113549.1.1.1') {
      const k = await crypto.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
      const jwk = (await crypto.exportKey('jwk', k)) as JsonWebKey;
      const pub = await crypto.importKey(
        'jwk',
        { kty: 'RSA', n: jwk.n, e: jwk.e },
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        true,
        ['verify'],
      );
      return new Uint8Array((await crypto.exportKey('spki', pub)) as ArrayBuffer);
    }
    if (alg === '1.2.840.10045.2.1') {
      const curve = ecCurveOf(key);
      if (!curve) return null;
      const k = await crypto.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve }, true, ['sign']);
      const jwk = (await crypto.exportKey('jwk', k)) as JsonWebKey;
      const pub = await crypto.importKey(
        'jwk',
        { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y },
        { name: 'ECDSA', namedCurve: curve },
        true,
        ['verify'],
      );
      return new Uint8Array((await crypto.exportKey('spki', pub)) as ArrayBuffer);
    }
  } catch {
    return null;
  }
  return null;
}

const CURVES: Record<string, 'P-256' | 'P-384' | 'P-521'> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

/** The named curve of an EC PKCS#8 key (from the AlgorithmIdentifier parameters). */
export function ecCurveOf(key: pkijs.PrivateKeyInfo): 'P-256' | 'P-384' | 'P-521' | null {
  const p = key.privateKeyAlgorithm.algorithmParams;
  return p instanceof asn1js.ObjectIdentifier ? (CURVES[p.valueBlock.toString()] ?? null) : null;
}

/** The key algorithm of a PKCS#8 key: 'rsa', an EC curve, or null. */
export function pkcs8KeyType(pkcs8: Uint8Array): 'rsa' | 'P-256' | 'P-384' | 'P-521' | null {
  try {
    const key = pkijs.PrivateKeyInfo.fromBER(exact(pkcs8));
    if (key.privateKeyAlgorithm.algorithmId === '1.2.840.113549.1.1.1') return 'rsa';
    if (key.privateKeyAlgorithm.algorithmId === '1.2.840.10045.2.1') return ecCurveOf(key);
  } catch {
    /* fall through */
  }
  return null;
}
