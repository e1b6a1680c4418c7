/**
 * The audit chain's HMAC key (audit/chain.ts): TESSERA_AUDIT_KEY (hex) or a generated
 * 32-byte file of mode 0600. Every node sharing a database needs the same key.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { TesseraError } from '../errors/TesseraError.js';

export const AUDIT_KEY_ENV = 'TESSERA_AUDIT_KEY';

function fromEnv(): Buffer | undefined {
  const v = process.env[AUDIT_KEY_ENV];
  if (!v) return undefined;
  if (!/^[0-9a-fA-F]{64,}$/.test(v))
    throw new TesseraError('CONFIG_INVALID', `${AUDIT_KEY_ENV} must be at least 64 hex digits`);
  return Buffer.from(v, 'hex');
}

export async function createAuditKey(file: string): Promise<Buffer> {
  const env = fromEnv();
  if (env) return env;
  const key = randomBytes(32);
  await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

export async function readAuditKey(file: string): Promise<Buffer> {
  const env = fromEnv();
  if (env) return env;
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  } catch {
    throw new TesseraError('CONFIG_INVALID', `no ${AUDIT_KEY_ENV} and no audit key at ${file}`);
  }
}
