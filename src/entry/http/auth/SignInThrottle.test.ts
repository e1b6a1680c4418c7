import { describe, expect, it } from 'vitest';
import { addressKey, backoffMs, DEFAULT_THROTTLE } from './SignInThrottle.js';

describe('backoffMs', () => {
  it('waits nothing before the free failures are used, then 1 s doubling up to the cap', () => {
    const waits = [0, 4, 5, 6, 7, 14, 15, 60].map((n) => backoffMs(n, 5, DEFAULT_THROTTLE));
    expect(waits).toEqual([0, 0, 1000, 2000, 4000, 512_000, 900_000, 900_000]);
  });
});

describe('addressKey', () => {
  it('keeps IPv4 and unwraps IPv4-mapped IPv6', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('counts IPv6 by its /64 (RFC 6177), whatever the spelling', () => {
    expect(addressKey('2001:db8:1:2::10')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
  });
});
