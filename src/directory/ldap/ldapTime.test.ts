/**
 * GeneralizedTime (RFC 4517 §3.3.13) as AD's whenCreated and OpenLDAP's createTimestamp
 * write it, and AD FILETIME integers (accountExpires). The captured AD entry
 * (r.thompson, HTB "Cascade") has whenCreated 20200109193126.0Z and pwdLastSet
 * 132230718862636251 — the same second, written in the two formats — which checks both
 * parsers against each other.
 */
import { describe, expect, it } from 'vitest';
import { accountExpiry, parseGeneralizedTime } from './ldapTime.js';

describe('GeneralizedTime', () => {
  it.each([
    ['20200109193126.0Z', '2020-01-09T19:31:26.000Z'], // Active Directory
    ['20240102030405Z', '2024-01-02T03:04:05.000Z'], // OpenLDAP
    ['202401020304Z', '2024-01-02T03:04:00.000Z'],
    ['2024010203Z', '2024-01-02T03:00:00.000Z'],
    ['20240102030405.123Z', '2024-01-02T03:04:05.123Z'],
    ['20240102030405,5Z', '2024-01-02T03:04:05.500Z'],
    ['2024010203.5Z', '2024-01-02T03:30:00.000Z'],
    ['20240102030405+0200', '2024-01-02T01:04:05.000Z'],
    ['20240102030405-0130', '2024-01-02T04:34:05.000Z'],
    ['20240229000000Z', '2024-02-29T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseGeneralizedTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '',
    '2024',
    '20241302030405Z',
    '20230229000000Z',
    '20240102250000Z',
    '20240102030405',
    '20240102030405+2500',
    'yesterday',
    '20240102030405Z; DROP',
  ])('refuses %j', (text) => {
    expect(parseGeneralizedTime(text)).toBeUndefined();
  });
});

describe('AD FILETIME (accountExpires)', () => {
  it('treats 0 and 0x7FFFFFFFFFFFFFFF as never', () => {
    expect(accountExpiry('0')).toBeUndefined();
    expect(accountExpiry('9223372036854775807')).toBeUndefined();
  });

  it('converts 100 ns intervals since 1601 to a date', () => {
    expect(accountExpiry('132223104000000000')?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(accountExpiry('116444736000000000')?.toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });

  it('agrees with whenCreated on a captured AD account (pwdLastSet = whenCreated)', () => {
    const pwdLastSet = accountExpiry('132230718862636251')!;
    const whenCreated = parseGeneralizedTime('20200109193126.0Z')!;
    expect(Math.floor(pwdLastSet.getTime() / 1000)).toBe(whenCreated.getTime() / 1000);
  });

  it('refuses what is not an integer', () => {
    expect(accountExpiry('soon')).toBeUndefined();
    expect(accountExpiry('1e18')).toBeUndefined();
  });
});
