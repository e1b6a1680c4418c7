/**
 * The smart card validator's settings (signin/SmartCardValidator.ts ValidatorSettings) that
 * the `signin` section of tessera.json describes for a Tessera instance: trust files read
 * from the data directory; defaults: Tessera's root as the trust anchor, its issuing CA as
 * the whole authentication trust list. Kept out of signin/, which services embed without
 * a CA (docs/signin.md).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { TesseraError } from '../errors/TesseraError.js';
import type { ValidatorSettings } from '../signin/SmartCardValidator.js';
import type { Tessera } from '../Tessera.js';
import { pemBlocks } from '../x509/pem.js';
import type { SigninSettings } from './Config.js';

async function readCertificates(t: Tessera, files: readonly string[], what: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const f of files) {
    const path = isAbsolute(f) ? f : join(t.paths.dir, f);
    let text: string;
    try {
      text = await readFile(path, 'latin1');
    } catch (e) {
      throw new TesseraError(
        'CONFIG_INVALID',
        `signin.${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code})`,
      );
    }
    const blocks = pemBlocks(text, 'CERTIFICATE');
    // A DER file works too.
    out.push(...(blocks.length ? blocks : [Buffer.from(text, 'latin1')]));
  }
  return out;
}

/** Validator settings for `t` from its `signin` section. Throws CONFIG_INVALID for unreadable trust files. */
export async function validatorSettingsFor(t: Tessera): Promise<ValidatorSettings> {
  const s: SigninSettings = t.config.signin ?? {};
  const chain = t.chain();
  const r = s.revocation ?? {};
  return {
    trustAnchors: s.trustAnchors
      ? await readCertificates(t, s.trustAnchors, 'trustAnchors')
      : [chain[chain.length - 1]],
    authenticationCas: s.authenticationCas
      ? await readCertificates(t, s.authenticationCas, 'authenticationCas')
      : [chain[0]],
    eku: s.eku ?? 'smartcardLogon',
    mapping: {
      allowWeakUpn: s.mapping?.allowWeakUpn ?? false,
      explicit: s.mapping?.explicit ?? {},
      creationToleranceSeconds: s.mapping?.creationToleranceSeconds ?? 600,
    },
    revocation: {
      ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}),
      ...(r.ocspMaxAgeSeconds !== undefined ? { ocspMaxAgeMs: r.ocspMaxAgeSeconds * 1000 } : {}),
      ...(r.crlMaxAgeSeconds !== undefined ? { crlMaxAgeMs: r.crlMaxAgeSeconds * 1000 } : {}),
      ...(r.requireOcspNonce !== undefined ? { requireNonce: r.requireOcspNonce } : {}),
      ...(r.crlCacheSeconds !== undefined ? { crlCacheMs: r.crlCacheSeconds * 1000 } : {}),
      ...(r.mode !== undefined ? { mode: r.mode } : {}),
      ...(r.sources === 'crl' ? { ocsp: false } : r.sources === 'ocsp' ? { crl: false } : {}),
      ...(r.crlFiles ? { crlFiles: r.crlFiles.map((f) => (isAbsolute(f) ? f : join(t.paths.dir, f))) } : {}),
    },
    clockSkewSeconds: s.clockSkewSeconds ?? 300,
    notBeforeSkewSeconds: s.notBeforeSkewSeconds ?? 0,
  };
}
