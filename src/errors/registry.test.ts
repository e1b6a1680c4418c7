/**
 * The one error registry (registry.ts) and its documentation (docs/errors.md), checked
 * against each other in both directions (docs/development.md "Rules the code keeps" 4): every code has a row,
 * every row names a code that exists, and the row's status, HRESULT, certsrv page and
 * public message are the registry's. A failure prints the rows to add.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorRegistry, hresultText, isErrorCode, RETIRED_CODES, type ErrorCode } from './registry.js';
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
    rows.push({
      code: code.replace(/`/g, ''),
      status,
      hresult: hresult.replace(/`/g, ''),
      page,
      message,
      when: when ?? '',
    });
  }
  return rows;
}

/** The row to paste into docs/errors.md for a code. */
function rowFor(code: ErrorCode): string {
  const s = errorRegistry[code];
  return (
    `| \`${code}\` | ${s.status} | \`${hresultText(code)}\` | ${s.disposition} ` +
    `| ${s.message.replace(/\|/g, '\\|')} | (when it happens) |`
  );
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
    expect(
      stale,
      `remove these rows from docs/errors.md (or add the codes to the registry): ${stale.join(', ')}`,
    ).toEqual([]);
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
      if (JSON.stringify(want) !== JSON.stringify(got))
        wrong.push(`${r.code}: docs say ${JSON.stringify(got)}\n  registry: ${rowFor(r.code)}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('says for every code when it happens', () => {
    expect(rows.filter((r) => r.when.length < 10 || r.when === '(when it happens)').map((r) => r.code)).toEqual([]);
  });
});

/**
 * Every code there is, written out: removing or renaming a code fails here, because
 * scripts, alerts and stored dispositions match codes by name (docs/errors.md). A new code
 * is added at the end of this list, with its registry entry and its row in docs/errors.md.
 */
const KNOWN_CODES = [
  'REQUEST_EMPTY',
  'REQUEST_TOO_LARGE',
  'REQUEST_MALFORMED',
  'REQUEST_TOO_DEEP',
  'REQUEST_NOT_DER',
  'REQUEST_FORMAT_UNSUPPORTED',
  'CSR_BAD_SIGNATURE',
  'CSR_DUPLICATE_EXTENSION',
  'CSR_INVALID_EXTENSION',
  'KEY_ALGORITHM_UNSUPPORTED',
  'KEY_EC_EXPLICIT_PARAMETERS',
  'KEY_TOO_SMALL',
  'KEY_NOT_ALLOWED',
  'SIGNATURE_ALGORITHM_UNSUPPORTED',
  'KEY_SPEC_MISMATCH',
  'PROVIDER_NOT_ALLOWED',
  'TEMPLATE_MISSING',
  'TEMPLATE_UNKNOWN',
  'ENROLL_DENIED',
  'USER_DISABLED',
  'USER_UNKNOWN',
  'NAME_NOT_ALLOWED',
  'NAME_INVALID',
  'DIRECTORY_UPN_MISSING',
  'DIRECTORY_EMAIL_MISSING',
  'NAME_NOT_UNIQUE',
  'DIRECTORY_SID_MISSING',
  'SIGNATURES_REQUIRED',
  'REQUEST_NOT_FOUND',
  'REQUEST_NOT_PENDING',
  'DENIED_BY_MANAGER',
  'APPROVAL_CONFLICT',
  'ROLE_CONFLICT',
  'CERT_NOT_FOUND',
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'FORBIDDEN',
  'CSRF_TOKEN_INVALID',
  'CROSS_SITE_REFUSED',
  'SESSION_EXPIRED',
  'RATE_LIMITED',
  'INPUT_INVALID',
  'UNSUPPORTED_MEDIA_TYPE',
  'TEMPLATE_INVALID',
  'ALREADY_EXISTS',
  'NOT_FOUND',
  'FILE_NOT_READABLE',
  'FILE_NOT_WRITABLE',
  'CARD_MODULE_UNAVAILABLE',
  'CARD_NOT_FOUND',
  'CARD_AMBIGUOUS',
  'CARD_REMOVED',
  'CARD_PIN_INCORRECT',
  'CARD_PIN_LOCKED',
  'CARD_PIN_INVALID',
  'CARD_PIN_CHANGE_REQUIRED',
  'CARD_KEY_NOT_FOUND',
  'CARD_KEY_HAS_CERTIFICATE',
  'CARD_NO_AGENT_CERTIFICATE',
  'CARD_OPERATION_UNSUPPORTED',
  'CARD_CANCELLED',
  'CARD_ERROR',
  'CARD_AGENT_ORIGIN_REFUSED',
  'CARD_AGENT_SESSION_UNKNOWN',
  'CARD_AGENT_REQUEST_REFUSED',
  'CARD_AGENT_PIN_THROTTLED',
  'SERVER_UNREACHABLE',
  'SERVER_UNTRUSTED',
  'CMC_UNSIGNED',
  'CMC_SIGNER_UNKNOWN',
  'CMC_POP_INVALID',
  'CMC_NO_REQUEST',
  'CMC_MULTIPLE_REQUESTS',
  'CMC_CRMF_UNSUPPORTED',
  'CMC_NESTED_UNSUPPORTED',
  'CMC_CONTROL_UNSUPPORTED',
  'CMC_SIGNED_DATA_INVALID',
  'AGENT_SIGNATURE_INVALID',
  'AGENT_CERT_UNTRUSTED',
  'AGENT_CERT_EXPIRED',
  'AGENT_CERT_REVOKED',
  'AGENT_EKU_MISSING',
  'AGENT_NOT_PERMITTED',
  'PRIVILEGED_TARGET',
  'CRL_NOT_PUBLISHED',
  'CRL_BASE_MISSING',
  'CRL_DELTA_UNSUPPORTED',
  'CRL_PUBLISH_BUSY',
  'CRL_SIGNATURE_INVALID',
  'OCSP_SIGNER_UNAVAILABLE',
  'SIGNIN_REFUSED',
  'SIGNIN_CERT_MISSING',
  'SIGNIN_POSSESSION_NOT_PROVEN',
  'SIGNIN_CERT_MALFORMED',
  'SIGNIN_CHAIN_UNTRUSTED',
  'SIGNIN_CA_NOT_TRUSTED_FOR_LOGON',
  'SIGNIN_SIGNATURE_INVALID',
  'SIGNIN_BASIC_CONSTRAINTS',
  'SIGNIN_NAME_CONSTRAINTS',
  'SIGNIN_POLICY',
  'SIGNIN_CERT_PROFILE',
  'SIGNIN_UNKNOWN_CRITICAL_EXTENSION',
  'SIGNIN_CERT_EXPIRED',
  'SIGNIN_KEY_USAGE',
  'SIGNIN_EKU',
  'SIGNIN_REVOKED',
  'SIGNIN_OCSP_INVALID',
  'SIGNIN_REVOCATION_UNKNOWN',
  'SIGNIN_NOT_MAPPED',
  'SIGNIN_WEAK_MAPPING',
  'SIGNIN_CERTIFICATE_MISMATCH',
  'SIGNIN_MAPPING_AMBIGUOUS',
  'SIGNIN_CERT_PREDATES_ACCOUNT',
  'CONFIG_INVALID',
  'CA_KEY_UNAVAILABLE',
  'STORAGE_UNAVAILABLE',
  'STORAGE_FULL',
  'DIRECTORY_UNAVAILABLE',
  'AUDIT_CHAIN_BROKEN',
  'SELF_AUDIT_FAILED',
  'INTERNAL',
  'CA_LINT_MISMATCH',
] as const;

/** What is wrong with a retired list, given the live codes and the codes errors.md lists as retired. */
function retiredProblems(live: readonly string[], retired: readonly string[], documented: readonly string[]): string[] {
  const p: string[] = [];
  for (const c of retired) if (live.includes(c)) p.push(`${c} is retired and may not be reused`);
  for (const c of retired.filter((c, i) => retired.indexOf(c) !== i)) p.push(`${c} is retired twice`);
  for (const c of retired) if (!/^[A-Z][A-Z0-9_]*$/.test(c)) p.push(`${c} is not a code`);
  for (const c of retired) if (!documented.includes(c)) p.push(`${c} is retired but not in docs/errors.md`);
  for (const c of documented) if (!retired.includes(c)) p.push(`${c} is retired in docs/errors.md only`);
  return p;
}

/** The codes docs/errors.md lists under "## Retired codes": bullets that start with a `CODE`. */
function documentedRetired(): string[] {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('\n## Retired codes');
  expect(start, 'docs/errors.md has a "## Retired codes" section').toBeGreaterThan(0);
  const rest = text.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^- `([A-Z0-9_]+)`/gm)].map((m) => m[1]);
}

describe('stable codes', () => {
  it('are exactly the codes this test lists: none removed or renamed, every new one added here', () => {
    const known: readonly string[] = KNOWN_CODES;
    const missing = known.filter((c) => !isErrorCode(c));
    const unlisted = codes.filter((c) => !known.includes(c));
    expect(missing, `codes removed or renamed (retire them instead: RETIRED_CODES): ${missing.join(', ')}`).toEqual([]);
    expect(unlisted, `add these codes to the end of KNOWN_CODES: ${unlisted.join(', ')}`).toEqual([]);
    expect(known.filter((c, i) => known.indexOf(c) !== i)).toEqual([]);
  });

  it('never reuse a retired code, and docs/errors.md lists the same retired codes', () => {
    const p = retiredProblems(codes, RETIRED_CODES, documentedRetired());
    expect(p, p.join('\n')).toEqual([]);
    const known: readonly string[] = KNOWN_CODES;
    expect(RETIRED_CODES.filter((c) => known.includes(c))).toEqual([]);
  });

  it('the retired-code check refuses reuse, duplicates and a list that disagrees with the docs', () => {
    expect(retiredProblems(['ENROLL_DENIED'], ['OLD_CODE'], ['OLD_CODE'])).toEqual([]);
    const reused = retiredProblems(['ENROLL_DENIED'], ['ENROLL_DENIED'], ['ENROLL_DENIED']);
    expect(reused).toEqual(['ENROLL_DENIED is retired and may not be reused']);
    expect(retiredProblems([], ['OLD', 'OLD'], ['OLD'])).toEqual(['OLD is retired twice']);
    expect(retiredProblems([], ['OLD'], [])).toEqual(['OLD is retired but not in docs/errors.md']);
    expect(retiredProblems([], [], ['OLD'])).toEqual(['OLD is retired in docs/errors.md only']);
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

  it('names a full disk met outside the store STORAGE_FULL (ENOSPC, EDQUOT), not INTERNAL', async () => {
    const { writeFile } = await import('node:fs/promises');
    // /dev/full answers every write with ENOSPC: a real full disk, not a made-up error object.
    const enospc = await writeFile('/dev/full', 'x').then(
      () => null,
      (e: unknown) => e,
    );
    const err = asTesseraError(enospc);
    expect(err.code).toBe('STORAGE_FULL');
    expect(err.detail).toMatch(/ENOSPC/);
    expect(asTesseraError(Object.assign(new Error('quota'), { code: 'EDQUOT' })).code).toBe('STORAGE_FULL');
    expect(asTesseraError(Object.assign(new Error('gone'), { code: 'ENOENT' })).code).toBe('INTERNAL');
  });
});
