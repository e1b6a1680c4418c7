/**
 * Disposition messages in the shapes certsrv clients match (docs/certsrv.md §3, §5
 * items 6–10): parse failures start "Error Parsing Request", an unsupported template
 * says "…template that is not supported…", other policy denials read
 * `Denied by Policy Module  0x80094012, <message>` (two spaces, as Certipy's regex needs).
 */
import { errorRegistry, hresultOf, hresultText, isErrorCode, type ErrorCode } from '../../../errors/registry.js';

const PARSE_CODES = new Set<ErrorCode>([
  'REQUEST_EMPTY',
  'REQUEST_TOO_LARGE',
  'REQUEST_MALFORMED',
  'REQUEST_TOO_DEEP',
  'REQUEST_NOT_DER',
  'REQUEST_FORMAT_UNSUPPORTED',
]);

export function certsrvDispositionMessage(code: string | null, stored: string): string {
  if (!code || !isErrorCode(code)) return stored;
  if (code === 'TEMPLATE_UNKNOWN') return stored;
  if (PARSE_CODES.has(code))
    return stored.startsWith('Error Parsing Request') ? stored : `Error Parsing Request ${stored}`;
  return `Denied by Policy Module  ${hresultOf(code)}, ${stored}`;
}

/** The CR_GEMT_HRESULT_STRING line: `<message> 0x80094004 (-2146877436 CERTSRV_E_PROPERTY_EMPTY)`. */
export function resultText(code: ErrorCode): string {
  return `${errorRegistry[code].message} ${hresultText(code)}`;
}
