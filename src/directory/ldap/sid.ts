/**
 * Security identifiers as Active Directory stores them in `objectSid`: the binary SID
 * structure of MS-DTYP §2.4.2.2, and its string form (MS-DTYP §2.4.2.1) that Tessera
 * carries everywhere else (DirectoryUser.sid, the SID certificate extension).
 *
 *   SID ::= Revision (1 byte, always 1)
 *           SubAuthorityCount (1 byte, 0..15)
 *           IdentifierAuthority (6 bytes, big-endian)
 *           SubAuthority[SubAuthorityCount] (4 bytes each, little-endian)
 *
 * e.g. 01 05 00 00 00 00 00 05 15 00 00 00 … is S-1-5-21-….
 */
import { TesseraError } from '../../errors/TesseraError.js';

/** MS-DTYP §2.4.2.2: SubAuthorityCount "MUST be less than or equal to 15". */
const MAX_SUB_AUTHORITIES = 15;

/** Binary SID (objectSid) → `S-1-…`. Throws INPUT_INVALID on anything that is not exactly one SID. */
export function decodeSid(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8) throw new TesseraError('INPUT_INVALID', `a binary SID has at least 8 bytes, not ${b.length}`);
  const revision = b[0];
  const count = b[1];
  // MS-DTYP §2.4.2.2: Revision "MUST be set to 0x01".
  if (revision !== 1) throw new TesseraError('INPUT_INVALID', `SID revision ${revision} is not 1`);
  if (count > MAX_SUB_AUTHORITIES)
    throw new TesseraError('INPUT_INVALID', `SID has ${count} sub-authorities; at most ${MAX_SUB_AUTHORITIES}`);
  if (b.length !== 8 + 4 * count)
    throw new TesseraError(
      'INPUT_INVALID',
      `SID with ${count} sub-authorities is ${8 + 4 * count} bytes, not ${b.length}`,
    );
  // IdentifierAuthority is a 48-bit big-endian value; MS-DTYP §2.4.2.1 prints it in decimal
  // below 2^32 and as 0x-prefixed hexadecimal (12 digits) otherwise.
  const authority = b.readUIntBE(2, 6);
  const authText = authority < 2 ** 32 ? String(authority) : `0x${b.subarray(2, 8).toString('hex').toUpperCase()}`;
  let s = `S-1-${authText}`;
  for (let i = 0; i < count; i++) s += `-${b.readUInt32LE(8 + 4 * i)}`;
  return s;
}

const SID_TEXT = /^S-1-(\d{1,15}|0x[0-9A-Fa-f]{12})((?:-\d{1,10}){0,15})$/;

/** `S-1-…` → binary SID, for equality filters on objectSid. Throws INPUT_INVALID. */
export function encodeSid(sid: string): Buffer {
  const m = SID_TEXT.exec(sid);
  if (!m) throw new TesseraError('INPUT_INVALID', `"${sid.slice(0, 80)}" is not a SID`);
  const authority = m[1].startsWith('0x') ? parseInt(m[1].slice(2), 16) : Number(m[1]);
  if (!Number.isSafeInteger(authority) || authority >= 2 ** 48)
    throw new TesseraError('INPUT_INVALID', `SID identifier authority ${m[1]} does not fit in 48 bits`);
  const subs = m[2] ? m[2].slice(1).split('-').map(Number) : [];
  const out = Buffer.alloc(8 + 4 * subs.length);
  out[0] = 1;
  out[1] = subs.length;
  out.writeUIntBE(authority, 2, 6);
  subs.forEach((v, i) => {
    if (v > 0xffffffff) throw new TesseraError('INPUT_INVALID', `SID sub-authority ${v} does not fit in 32 bits`);
    out.writeUInt32LE(v, 8 + 4 * i);
  });
  return out;
}

/** The domain part of an account SID (everything but the last sub-authority, the RID). */
export function domainOfSid(sid: string): string | undefined {
  const cut = sid.lastIndexOf('-');
  return cut > 4 && sid.split('-').length > 4 ? sid.slice(0, cut) : undefined;
}
