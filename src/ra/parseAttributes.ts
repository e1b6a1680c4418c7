/**
 * Request attributes as certsrv sends them in CertAttrib: one `Name:Value` per line,
 * lines split on CR LF or LF (docs/certsrv.md §2). Names are case-insensitive.
 */
import { TesseraError } from '../errors/TesseraError.js';

const MAX_ATTRIBUTES_TEXT = 16 * 1024;

export function parseAttributes(input: string | Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (!input) return {};
  if (typeof input !== 'string') {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(input)) {
      if (typeof v !== 'string') throw new TesseraError('INPUT_INVALID', `attribute ${k} is not a string`);
      out[k.toLowerCase()] = v;
    }
    return out;
  }
  if (input.length > MAX_ATTRIBUTES_TEXT)
    throw new TesseraError('INPUT_INVALID', `request attributes longer than ${MAX_ATTRIBUTES_TEXT} characters`);
  const out: Record<string, string> = {};
  for (const line of input.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!/^[a-z0-9_.-]{1,64}$/.test(name)) continue;
    out[name] = line.slice(i + 1).trim();
  }
  return out;
}
