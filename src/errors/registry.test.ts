/**
 * The one error registry (registry.ts) and its documentation (docs/errors.md), checked
 * against each other in both directions (ARCHITECTURE.md habit 4): every code has a row,
 * every row names a code that exists, and the row's status, HRESULT, certsrv page and
 * public message are the registry's. A failure prints the rows to add.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorRegistry, hresultText, isErrorCode, type ErrorCode } from './registry.js';
import { asTesseraError, TesseraError } from './TesseraError.js';

const DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
const codes = Object.keys(errorRegistry) as ErrorCode[];

interface DocRow {
  readonly code: string;
  readonly status: string;
  readonly hresult: string;
  readonly page: string;
  readonly message: string;
  readonly when: string;
}

/** Table rows of docs/errors.md whose first cell is a `CODE`. Cells split on unescaped pipes. */
function docRows(): DocRow[] {
  const rows: DocRow[] = [];
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    if (!/^\|\s*`[A-Z0-9_]+`\s*\|/.test(line)) continue;
    const cells = line
      .slice(1, line.trimEnd().length - 1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
    const [code, status, hresult, page, message, when] = cells;
    rows.push({ code: code.replace(/`/g, ''), status, hresult: hresult.replace(/`/g, ''), page, message, when: when ?? '' });
  }
  return rows;
}

/** The row to paste into docs/errors.md for a code. */
function rowFor(code: ErrorCode): string {
  const s = errorRegistry[code];
  return `| \`${code}\` | ${s.status} | \`${hresultText(code)}\` | ${s.disposition} | ${s.message.replace(/\|/g, '\\|')} | (when it happens) |`;
}

describe('docs/errors.md', () => {
  const rows = docRows();
  const documented = new Map(rows.map((r) => [r.code, r]));

  it('has a row for every code in the registry', () => {
    const missing = codes.filter((c) => !documented.has(c));
    expect(missing, `add these rows to docs/errors.md:\n${missing.map(rowFor).join('\n')}\n`).toEqual([]);
  });

  it('documents no code that is not in the registry', () => {
    const stale = rows.map((r) => r.code).filter((c) => !isErrorCode(c));
    expect(stale, `remove these rows from docs/errors.md (or add the codes to the registry): ${stale.join(', ')}`).toEqual([]);
  });

  it('documents each code once', () => {
    const seen = rows.map((r) => r.code);
    expect(seen.filter((c, i) => seen.indexOf(c) !== i)).toEqual([]);
  });

  it("gives each code the registry's HTTP status, HRESULT, certsrv page and public message", () => {
    const wrong: string[] = [];
    for (const r of rows) {
      if (!isErrorCode(r.code)) continue;
      const s = errorRegistry[r.code];
      const want = { status: String(s.status), hresult: hresultText(r.code), page: s.disposition, message: s.message };
      const got = { status: r.status, hresult: r.hresult, page: r.page, message: r.message };
      if (JSON.stringify(want) !== JSON.stringify(got)) wrong.push(`${r.code}: docs say ${JSON.stringify(got)}\n  registry: ${rowFor(r.code)}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('says for every code when it happens', () => {
    expect(rows.filter((r) => r.when.length < 10 || r.when === '(when it happens)').map((r) => r.code)).toEqual([]);
  });
});

describe('the registry', () => {
  it('formats HRESULTs the way certsrv prints them (CR_GEMT_HRESULT_STRING)', () => {
    expect(hresultText('ENROLL_DENIED')).toBe('0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)');
    expect(hresultText('CSR_BAD_SIGNATURE')).toBe('0x80090006 (-2146893818 NTE_BAD_SIGNATURE)');
    expect(hresultText('TEMPLATE_UNKNOWN')).toBe('0x80094800 (-2146875392 CERTSRV_E_UNSUPPORTED_CERT_TYPE)');
  });

  it.each(codes)('%s is well formed', (code) => {
    const s = errorRegistry[code];
    expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(s.status).toBeGreaterThanOrEqual(400);
    expect(s.status).toBeLessThan(600);
    // A failure HRESULT has the severity bit set.
    expect(s.hresult >>> 31).toBe(1);
    expect(s.hresult).toBeLessThanOrEqual(0xffffffff);
    expect(s.symbol).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(['denied', 'error']).toContain(s.disposition);
    // The public message is a sentence and never a template for internals.
    expect(s.message).toMatch(/^[A-Z].*[.)]$/);
    expect(s.message).not.toMatch(/\$\{|undefined|null/);
  });

  it('recognises exactly its own codes', () => {
    expect(isErrorCode('ENROLL_DENIED')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('enroll_denied')).toBe(false);
  });
});

describe('TesseraError', () => {
  it('carries the public message, keeps the detail apart, and describes both', () => {
    const e = new TesseraError('TEMPLATE_UNKNOWN', 'NoSuchTemplate');
    expect(e.message).toBe(errorRegistry.TEMPLATE_UNKNOWN.message);
    expect(e.detail).toBe('NoSuchTemplate');
    expect(e.spec.status).toBe(400);
    expect(e.describe()).toBe(`${errorRegistry.TEMPLATE_UNKNOWN.message} (NoSuchTemplate)`);
    expect(new TesseraError('INTERNAL').describe()).toBe(errorRegistry.INTERNAL.message);
  });

  it('wraps foreign errors without leaking their text into the public message', () => {
    const wrapped = asTesseraError(new Error('ECONNRESET at 10.0.0.5:5432'));
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.message).toBe(errorRegistry.INTERNAL.message);
    expect(wrapped.detail).toBe('ECONNRESET at 10.0.0.5:5432');
    const same = new TesseraError('FORBIDDEN');
    expect(asTesseraError(same)).toBe(same);
    expect(asTesseraError('boom', 'REQUEST_MALFORMED').code).toBe('REQUEST_MALFORMED');
  });
});
