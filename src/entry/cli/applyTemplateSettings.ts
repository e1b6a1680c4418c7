/**
 * `tessera template set NAME key=value…`: dotted paths into the Template JSON
 * (template/Template.ts), e.g. `validityDays=730 issuance.managerApproval=true
 * ekus=1.3.6.1.5.5.7.3.2,1.3.6.1.4.1.311.20.2.2`.
 *
 * This only turns text into JSON values of the right shape; whether the result is a
 * safe template is decided by template/validateTemplate.ts when ra/admin/templates.ts
 * saves it, so the CLI, the REST API and a `--file` edit obey the same rules.
 */
import { TesseraError } from '../../errors/TesseraError.js';

/** Fields whose value may be null (Template.ts): the v1 template OID, "no RSA", no agent policy. */
const NULLABLE = new Set(['oid', 'keyAlgorithms.rsaMinBits', 'issuance.agentPolicy']);

export interface TemplateSetting {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** Split `key=value` arguments; the value may contain further `=`. */
export function parseAssignments(args: readonly string[]): [string, string][] {
  return args.map((a) => {
    const i = a.indexOf('=');
    if (i <= 0) throw new TesseraError('INPUT_INVALID', `"${a}" is not key=value (e.g. validityDays=730)`);
    return [a.slice(0, i).trim(), a.slice(i + 1)];
  });
}

/** A copy of `definition` with each assignment applied, and what changed. */
export function applyTemplateSettings(
  definition: Record<string, unknown>,
  assignments: readonly [string, string][],
): { definition: Record<string, unknown>; changes: TemplateSetting[] } {
  const next = structuredClone(definition);
  const changes: TemplateSetting[] = [];
  for (const [path, text] of assignments) {
    if (path === 'name')
      throw new TesseraError(
        'TEMPLATE_INVALID',
        'name: a template keeps its name; copy it with `tessera template create NEW --from NAME`',
      );
    const keys = path.split('.');
    let parent: Record<string, unknown> = next;
    for (const k of keys.slice(0, -1)) {
      const child = Object.hasOwn(parent, k) ? parent[k] : undefined;
      if (!child || typeof child !== 'object' || Array.isArray(child)) throw unknownField(path, definition);
      parent = child as Record<string, unknown>;
    }
    const leaf = keys[keys.length - 1];
    if (!Object.hasOwn(parent, leaf)) throw unknownField(path, definition);
    const before = parent[leaf];
    const after = parseValue(path, text, before);
    parent[leaf] = after;
    changes.push({ path, before, after });
  }
  return { definition: next, changes };
}

function unknownField(path: string, definition: Record<string, unknown>): TesseraError {
  return new TesseraError(
    'TEMPLATE_INVALID',
    `${path}: no such template field (fields: ${leafPaths(definition).join(', ')})`,
  );
}

/** Every settable dotted path of a definition, for the "no such field" message. */
export function leafPaths(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * The value in the shape of the field it replaces: a flag takes true/false, a number a
 * number, a list a JSON array or a comma list, text is taken as typed. A wrong shape is
 * refused here, naming the field, rather than stored as a string that reads as "true".
 */
function parseValue(path: string, text: string, before: unknown): unknown {
  const trimmed = text.trim();
  const json = tryJson(trimmed);
  if (trimmed === 'null') {
    if (before === null || NULLABLE.has(path)) return null;
    throw new TesseraError('TEMPLATE_INVALID', `${path}: cannot be null`);
  }
  if (typeof before === 'boolean') {
    if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
    throw new TesseraError('TEMPLATE_INVALID', `${path}: true or false, not "${text}"`);
  }
  if (typeof before === 'number' || (before === null && path === 'keyAlgorithms.rsaMinBits')) {
    if (json.ok && typeof json.value === 'number') return json.value;
    throw new TesseraError('TEMPLATE_INVALID', `${path}: a number, not "${text}"`);
  }
  if (Array.isArray(before)) {
    if (trimmed.startsWith('[')) {
      if (json.ok && Array.isArray(json.value)) return json.value;
      throw new TesseraError('TEMPLATE_INVALID', `${path}: not a JSON array: ${text}`);
    }
    // Comma lists: names and OIDs never contain commas (validateTemplate checks each item).
    return trimmed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (before !== null && typeof before === 'object') {
    if (json.ok && json.value && typeof json.value === 'object' && !Array.isArray(json.value)) return json.value;
    throw new TesseraError(
      'TEMPLATE_INVALID',
      `${path}: a JSON object, or set its fields one by one (${path}.field=value)`,
    );
  }
  // Text fields (and null text fields such as oid): a JSON string literal is unquoted,
  // anything else is the text as typed.
  return json.ok && typeof json.value === 'string' ? json.value : text;
}
