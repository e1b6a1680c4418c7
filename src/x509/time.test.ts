/** The one X.509 time reader (time.ts): the two RFC 5280 §4.1.2.5 forms, real instants only. */
import { describe, expect, it } from 'vitest';
import type { TesseraError } from '../errors/TesseraError.js';
import { readTlv, TAG, tlv } from './der.js';
import { readTime } from './time.js';

const utc = (s: string) => tlv(TAG.UTCTime, Buffer.from(s, 'latin1'));
const gen = (s: string) => tlv(TAG.GeneralizedTime, Buffer.from(s, 'latin1'));
const readOf = (b: Buffer, code?: Parameters<typeof readTime>[2]) => readTime(b, readTlv(b, 0, b.length), code);
const failure = (b: Buffer, code?: Parameters<typeof readTime>[2]) => {
  try {
    readOf(b, code);
  } catch (e) {
    return e as TesseraError;
  }
  throw new Error('expected a refusal');
};

describe('readTime', () => {
  it('reads UTCTime with the RFC 5280 §4.1.2.5.1 century rule and GeneralizedTime', () => {
    expect(readOf(utc('491231235959Z')).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(readOf(utc('500101000000Z')).toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(readOf(gen('20500101000000Z')).toISOString()).toBe('2050-01-01T00:00:00.000Z');
    expect(readOf(utc('240229120000Z')).toISOString()).toBe('2024-02-29T12:00:00.000Z');
  });

  it.each([
    ['31 February', utc('260231000000Z')],
    ['29 February of a common year', gen('20250229000000Z')],
    ['hour 24', utc('260101240000Z')],
    ['second 60', gen('20261231235960Z')],
    ['month 13', utc('261301000000Z')],
    ['day 0', utc('260100000000Z')],
  ])('refuses %s (names no instant)', (_, b) => {
    expect(failure(b).detail).toMatch(/names no instant/);
  });

  it.each([
    ['fractional seconds', gen('20260101000000.5Z')],
    ['no seconds', utc('2601010000Z')],
    ['an offset', utc('260101000000+0100')],
    ['local time', gen('20260101000000')],
  ])('refuses %s', (_, b) => {
    expect(failure(b).code).toBe('REQUEST_MALFORMED');
  });

  it('refuses other types, with the caller’s error code', () => {
    const e = failure(tlv(TAG.UTF8String, Buffer.from('20260101000000Z')), 'SIGNIN_CERT_MALFORMED');
    expect(e.code).toBe('SIGNIN_CERT_MALFORMED');
    expect(e.detail).toMatch(/neither UTCTime nor GeneralizedTime/);
  });
});
