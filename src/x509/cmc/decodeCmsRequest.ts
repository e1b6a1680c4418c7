/**
 * CMC (RFC 5272) and PKCS#7 requests. Placeholder until the CMC issue (#5) lands:
 * recognised and refused with a clear code, never half-parsed.
 */
import { TesseraError } from '../../errors/TesseraError.js';
import type { DecodedRequest } from '../request.js';

export function decodeCmsRequest(_der: Buffer): DecodedRequest {
  throw new TesseraError('REQUEST_FORMAT_UNSUPPORTED', 'CMC and PKCS#7 requests are not supported yet');
}
