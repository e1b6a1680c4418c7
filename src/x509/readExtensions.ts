/**
 * The one reader of an Extensions list (certificates, PKCS#10 extensionRequest, CRLs, OCSP):
 *
 *   Extensions ::= SEQUENCE OF Extension
 *   Extension  ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 *                             extnValue OCTET STRING }
 *
 * RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
 * extension", and a critical extension the reader does not recognise makes the object
 * unusable. X.690 §11.5: a DEFAULT value (critical FALSE) is never encoded in DER.
 * Emptiness (SIZE (1..MAX) in certificates) is the caller's to check.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { ErrorCode } from '../errors/registry.js';
import { children, read, TAG, type Tlv } from './der.js';

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** extnValue's contents (a view into the input). */
  readonly value: Buffer;
}

export interface ReadExtensionsOptions {
  /** Code for a list or Extension of the wrong shape. Default REQUEST_MALFORMED. */
  readonly errorCode?: ErrorCode;
  /** Code for an extension that appears twice. Default `errorCode`. */
  readonly duplicateCode?: ErrorCode;
  /** Code for critical FALSE encoded explicitly. Default `errorCode`. */
  readonly notDerCode?: ErrorCode;
  /**
   * Extensions the caller processes. A critical extension outside this set is refused
   * (`unknownCritical: 'refuse'`) or listed in `unknownCritical` ('record'). Without it,
   * criticality is only decoded.
   */
  readonly understood?: ReadonlySet<string>;
  readonly unknownCritical?: 'refuse' | 'record';
  /** Add to this map (a PKCS#10 may carry two extension attributes; duplicates across them count). */
  readonly into?: Map<string, Extension>;
}

export interface ReadExtensionsResult {
  /** By OID, in encoded order. */
  readonly extensions: Map<string, Extension>;
  /** Critical OIDs outside `understood` (only with unknownCritical: 'record'). */
  readonly unknownCritical: string[];
}

/** Read the Extensions SEQUENCE `list` of `buf`. */
export function readExtensions(buf: Uint8Array, list: Tlv, o: ReadExtensionsOptions = {}): ReadExtensionsResult {
  const code = o.errorCode ?? 'REQUEST_MALFORMED';
  const fail = (c: ErrorCode, detail: string): never => {
    throw new TesseraError(c, detail);
  };
  if (list.tag !== TAG.SEQUENCE) fail(code, 'Extensions is not a SEQUENCE');
  const extensions = o.into ?? new Map<string, Extension>();
  const unknownCritical: string[] = [];
  for (const e of children(buf, list)) {
    const p = e.tag === TAG.SEQUENCE ? children(buf, e) : [];
    const valueT = p[p.length - 1];
    const shaped = p.length >= 2 && p.length <= 3 && p[0].tag === TAG.OID && valueT.tag === TAG.OCTET_STRING;
    if (!shaped || (p.length === 3 && p[1].tag !== TAG.BOOLEAN)) {
      fail(code, 'Extension is not { OID, critical, OCTET STRING }');
    }
    const id = read.oid(buf, p[0]);
    const critical = p.length === 3 && buf[p[1].contentStart] === 0xff;
    if (p.length === 3 && !critical) fail(o.notDerCode ?? code, `extension ${id} encodes critical FALSE`);
    if (extensions.has(id)) fail(o.duplicateCode ?? code, `extension ${id} appears twice`);
    if (critical && o.understood && !o.understood.has(id)) {
      if (o.unknownCritical !== 'record') fail(code, `unrecognised critical extension ${id}`);
      unknownCritical.push(id);
    }
    extensions.set(id, { oid: id, critical, value: read.bytes(buf, valueT) });
  }
  return { extensions, unknownCritical };
}
