/**
 * The one HRESULT formatter. An HRESULT is a 32-bit value (MS-ERREF §2.1); Windows tools
 * print it as eight hex digits (`0x80094012`) and certsrv's CR_GEMT_HRESULT_STRING adds
 * the signed decimal and the symbol: `0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)`.
 * Both forms take the value as a signed or an unsigned 32-bit number.
 */

/** `0x` and eight lower-case hex digits. */
export function hresultHex(hresult: number): string {
  return `0x${(hresult >>> 0).toString(16).padStart(8, '0')}`;
}

/** `0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)`, the CR_GEMT_HRESULT_STRING shape. */
export function hresultString(hresult: number, symbol: string): string {
  return `${hresultHex(hresult)} (${hresult | 0} ${symbol})`;
}
