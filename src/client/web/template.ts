/**
 * The template choices the certsrv page lists (`<option data-*>` of #lbCertTemplate), and
 * the key choices each allows. The server enforces all of it again (policy/verifyRequest);
 * the page checks first so the user sees the problem next to the field, before a key is
 * generated.
 */

export type KeySpecName = 'exchange' | 'signature' | 'both';
export type KeyAlg = 'rsa' | 'P-256' | 'P-384';

export interface TemplateInfo {
  /** Common name, as in `CertificateTemplate:<name>` (e.g. SmartcardUser). */
  readonly name: string;
  readonly display: string;
  readonly keySpec: KeySpecName;
  /** Minimum RSA modulus, or null when the template does not allow RSA. */
  readonly rsaMin: number | null;
  readonly ecCurves: readonly ('P-256' | 'P-384')[];
  /** Enrollment agent signatures the template requires (msPKI-RA-Signature). */
  readonly agentSignatures: number;
  /** v2 template information (OID, major, minor), or null for v1 templates. */
  readonly v2: { readonly oid: string; readonly major: number; readonly minor: number } | null;
}

/** The `data-*` attributes of one option (an HTMLOptionElement's dataset). */
export type TemplateDataset = Readonly<Record<string, string | undefined>>;

export function parseTemplate(value: string, data: TemplateDataset, text = ''): TemplateInfo {
  const name = (data.name ?? value).trim();
  const keySpec = (['exchange', 'signature', 'both'] as const).find((k) => k === data.keySpec) ?? 'exchange';
  const rsaMinText = (data.rsaMin ?? '').trim();
  const rsaMin = rsaMinText === '' ? null : Number(rsaMinText);
  const ecCurves = (data.ecCurves ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c): c is 'P-256' | 'P-384' => c === 'P-256' || c === 'P-384');
  const oid = (data.templateOid ?? '').trim();
  return {
    name,
    display: (data.display ?? text ?? name).trim() || name,
    keySpec,
    rsaMin: rsaMin !== null && Number.isFinite(rsaMin) ? rsaMin : null,
    ecCurves,
    agentSignatures: Number(data.agentSignatures ?? '0') || 0,
    v2: oid ? { oid, major: Number(data.major ?? '0') || 0, minor: Number(data.minor ?? '0') || 0 } : null,
  };
}

/** rbKeyUsage values as certrqma.asp numbers them: 0 Exchange, 1 Signature, 2 Both. */
export type KeyUsageChoice = '0' | '1' | '2';

/** The only key usage choice the template's key spec allows (AD CS locks it the same way). */
export function keyUsageFor(t: TemplateInfo): KeyUsageChoice {
  return t.keySpec === 'signature' ? '1' : t.keySpec === 'both' ? '2' : '0';
}

/**
 * AT_KEYEXCHANGE (1) or AT_SIGNATURE (2) for the 1.3.6.1.4.1.311.13.2.2 attribute:
 * "Both" is AT_KEYEXCHANGE without the encipherment-only limit (docs/certsrv.md §8).
 */
export function keySpecNumber(choice: KeyUsageChoice): 1 | 2 {
  return choice === '1' ? 2 : 1;
}

export function allowsAlg(t: TemplateInfo, alg: KeyAlg): boolean {
  return alg === 'rsa' ? t.rsaMin !== null : t.ecCurves.includes(alg);
}

/** The RSA size to offer: 2048, or the template minimum when that is larger. */
export function defaultKeySize(t: TemplateInfo): number {
  return Math.max(2048, t.rsaMin ?? 0);
}

export interface KeyChoiceProblem {
  readonly field: 'lbCertTemplate' | 'lbKeyAlg' | 'tbKeySize';
  readonly message: string;
}

/** What is wrong with this key choice for the template, or null. */
export function checkKeyChoice(t: TemplateInfo, alg: KeyAlg, keySize: number): KeyChoiceProblem | null {
  if (!allowsAlg(t, alg)) {
    const allowed = [
      t.rsaMin !== null ? `RSA (at least ${t.rsaMin} bits)` : '',
      ...t.ecCurves.map((c) => `ECDSA ${c}`),
    ].filter(Boolean);
    return {
      field: 'lbKeyAlg',
      message: allowed.length
        ? `The ${t.display} template does not allow ` +
          `${alg === 'rsa' ? 'RSA' : `ECDSA ${alg}`} keys. Choose ${allowed.join(' or ')}.`
        : `The ${t.display} template allows no key algorithm this page can create.`,
    };
  }
  if (alg === 'rsa') {
    if (!Number.isInteger(keySize) || keySize <= 0)
      return { field: 'tbKeySize', message: 'Enter the key size in bits, for example 2048.' };
    if (keySize < (t.rsaMin ?? 0))
      return {
        field: 'tbKeySize',
        message: `The ${t.display} template needs an RSA key of at least ${t.rsaMin} bits; ${keySize} is too small.`,
      };
    // WebCrypto and the cards take multiples of 8 up to 16384; beyond 4096 generation takes minutes.
    if (keySize % 8 !== 0)
      return { field: 'tbKeySize', message: 'The key size must be a multiple of 8 bits (2048, 3072 or 4096).' };
    if (keySize > 8192) return { field: 'tbKeySize', message: 'Key sizes above 8192 bits are not supported.' };
  }
  return null;
}

/** The explanation shown for a template that needs enrollment agent signatures (AD CS forces "save request" for it). */
export function agentTemplateMessage(t: TemplateInfo): string {
  return (
    `The ${t.display} template needs ${
      t.agentSignatures === 1
        ? 'the signature of an enrollment agent'
        : `${t.agentSignatures} enrollment agent signatures`
    }. ` +
    'You cannot request it for yourself here: ask an enrollment agent to enroll you ' +
    'at the Smart Card Enrollment Station (certsces.asp).'
  );
}
