/**
 * Template fields added after templates were first stored, and the value a stored
 * definition without them means. Applied wherever a definition is read (validateTemplate,
 * `tessera template set`), so an older database keeps working and a new field can be set
 * like any other; a save then writes the field explicitly.
 */

/** The largest RSA modulus a template accepts unless it says otherwise. */
export const DEFAULT_RSA_MAX_BITS = 8192;
/** OpenSSL's OPENSSL_RSA_MAX_MODULUS_BITS: beyond it the CA could not even verify the request. */
export const RSA_MAX_BITS_LIMIT = 16384;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of `definition` with each missing newer field set to its default. Anything that
 * is not shaped like a template is returned unchanged for validation to refuse.
 */
export function withTemplateDefaults<T>(definition: T): T {
  if (!isObject(definition)) return definition;
  const { keyAlgorithms, san } = definition;
  const ka = isObject(keyAlgorithms)
    ? insertAfter(keyAlgorithms, 'rsaMinBits', { rsaMaxBits: DEFAULT_RSA_MAX_BITS, rsaPublicExponent: '65537' })
    : keyAlgorithms;
  const sn = isObject(san) ? insertAfter(san, 'dns', { dnsWildcard: false }) : san;
  // A complete definition comes back as the same object.
  return ka === keyAlgorithms && sn === san ? definition : ({ ...definition, keyAlgorithms: ka, san: sn } as T);
}

/** `o` with the absent `fields` placed after `after`, so a shown definition reads in the Template.ts order. */
function insertAfter(
  o: Record<string, unknown>,
  after: string,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  const missing = Object.entries(fields).filter(([k]) => !Object.hasOwn(o, k));
  if (missing.length === 0) return o;
  const entries = Object.entries(o);
  const at = entries.findIndex(([k]) => k === after) + 1 || entries.length;
  return Object.fromEntries([...entries.slice(0, at), ...missing, ...entries.slice(at)]);
}
