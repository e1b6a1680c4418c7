/**
 * The one reader of X.509 times (certificates, CRLs, OCSP): RFC 5280 §4.1.2.5.1 UTCTime
 * YYMMDDHHMMSSZ and §4.1.2.5.2 GeneralizedTime YYYYMMDDHHMMSSZ, nothing else — no
 * fractions, no offsets, no missing seconds — and only instants that exist (no 31 February,
 * hour 24 or second 60). The writer is der.ts `time` / `generalizedTime`.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { ErrorCode } from '../errors/registry.js';
import { TAG, type Tlv } from './der.js';

const UTC = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** Read the UTCTime or GeneralizedTime `t` of `buf`; anything else throws TesseraError(`errorCode`). */
export function readTime(buf: Uint8Array, t: Tlv, errorCode: ErrorCode = 'REQUEST_MALFORMED'): Date {
  const bad = (detail: string): never => {
    throw new TesseraError(errorCode, detail);
  };
  const s = Buffer.from(buf.buffer, buf.byteOffset + t.contentStart, t.end - t.contentStart).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === TAG.UTCTime) {
    m = UTC.exec(s);
    if (!m) return bad(`UTCTime "${s.slice(0, 20)}" is not YYMMDDHHMMSSZ`);
    year = Number(m[1]);
    year += year < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  } else if (t.tag === TAG.GeneralizedTime) {
    m = GENERALIZED.exec(s);
    if (!m) return bad(`GeneralizedTime "${s.slice(0, 20)}" is not YYYYMMDDHHMMSSZ`);
    year = Number(m[1]);
  } else {
    return bad('a time is neither UTCTime nor GeneralizedTime');
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  // Date.UTC rolls 31 February into March and hour 24 into the next day: the fields must survive a round trip.
  const same =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === se;
  if (!same) return bad(`time "${s}" names no instant`);
  return date;
}
