/**
 * Time values directories hand out: LDAP GeneralizedTime (whenCreated, createTimestamp)
 * and Active Directory's FILETIME integers (accountExpires).
 */

/**
 * RFC 4517 §3.3.13 GeneralizedTime:
 *   century year month day hour [minute [second]] [fraction] g-time-zone
 * with g-time-zone "Z" or a ±hh[mm] differential. AD writes "20200109193126.0Z",
 * OpenLDAP "20240102030405Z". Returns undefined for anything else.
 */
export function parseGeneralizedTime(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  // A fraction applies to the last unit present (RFC 4517: hour, minute or second).
  const unitMs = s !== undefined ? 1000 : mi !== undefined ? 60_000 : 3_600_000;
  const fracMs = frac ? Math.round(Number(`0.${frac}`) * unitMs) : 0;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, Math.min(second, 59)) + fracMs;
  // Date.UTC rolls 31 February over into March; refuse instead.
  if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return undefined;
  if (zone !== 'Z') {
    const sign = zone[0] === '+' ? 1 : -1;
    const offH = Number(zone.slice(1, 3));
    const offM = zone.length > 3 ? Number(zone.slice(3, 5)) : 0;
    if (offH > 23 || offM > 59) return undefined;
    // 12:00+0200 is 10:00Z.
    ms -= sign * (offH * 60 + offM) * 60_000;
  }
  return new Date(ms);
}

/** Windows FILETIME: 100-nanosecond intervals since 1601-01-01T00:00:00Z. */
const FILETIME_UNIX_EPOCH = 116444736000000000n;

/**
 * AD `accountExpires` (MS-ADA1 Account-Expires): a FILETIME, where 0 and
 * 0x7FFFFFFFFFFFFFFF both mean "never". Returns undefined for never or unparsable values.
 */
export function accountExpiry(value: string): Date | undefined {
  if (!/^-?\d{1,20}$/.test(value.trim())) return undefined;
  const n = BigInt(value.trim());
  if (n <= 0n || n >= 0x7fffffffffffffffn) return undefined;
  return new Date(Number((n - FILETIME_UNIX_EPOCH) / 10000n));
}
