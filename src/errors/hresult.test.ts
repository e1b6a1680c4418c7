import { describe, expect, it } from 'vitest';
import { hresultHex, hresultString } from './hresult.js';
import { errorRegistry, hresultOf, hresultText } from './registry.js';

describe('HRESULT formatting (MS-ERREF §2.1)', () => {
  it('prints eight lower-case hex digits, whether the value is given signed or unsigned', () => {
    expect(hresultHex(0x80094012)).toBe('0x80094012');
    expect(hresultHex(-2146877422)).toBe('0x80094012');
    expect(hresultHex(0x8000ffff)).toBe('0x8000ffff');
    expect(hresultHex(0xffffffff)).toBe('0xffffffff');
    // S_OK and other small values keep their leading zeros.
    expect(hresultHex(0)).toBe('0x00000000');
    expect(hresultHex(0x00000001)).toBe('0x00000001');
    expect(hresultHex(0x0007000e)).toBe('0x0007000e');
  });

  it('adds the signed decimal and the symbol in the CR_GEMT_HRESULT_STRING shape', () => {
    const denied = '0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)';
    expect(hresultString(0x80094012, 'CERTSRV_E_TEMPLATE_DENIED')).toBe(denied);
    expect(hresultString(-2146893818, 'NTE_BAD_SIGNATURE')).toBe('0x80090006 (-2146893818 NTE_BAD_SIGNATURE)');
    expect(hresultString(0, 'S_OK')).toBe('0x00000000 (0 S_OK)');
  });

  it('is what the registry, the certsrv pages and the CLI print for every code', () => {
    for (const [code, s] of Object.entries(errorRegistry)) {
      expect(hresultText(code as keyof typeof errorRegistry)).toBe(hresultString(s.hresult, s.symbol));
      expect(hresultOf(code as keyof typeof errorRegistry)).toBe(hresultHex(s.hresult));
    }
  });
});
