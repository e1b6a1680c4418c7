/**
 * Where the CA key passphrase comes from: TESSERA_CA_PASSPHRASE when set, otherwise a
 * passphrase file generated at init with mode 0600 (docs/security.md §9.3). The value is
 * never logged.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { TesseraError } from '../errors/TesseraError.js';

export const PASSPHRASE_ENV = 'TESSERA_CA_PASSPHRASE';

export async function createPassphrase(file: string): Promise<string> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv) return fromEnv;
  const generated = randomBytes(32).toString('base64url');
  await writeFile(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
  return generated;
}

export async function readPassphrase(file: string): Promise<string> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv) return fromEnv;
  try {
    const st = await stat(file);
    if ((st.mode & 0o077) !== 0) {
      throw new TesseraError(
        'CONFIG_INVALID',
        `${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    throw new TesseraError('CA_KEY_UNAVAILABLE', `no ${PASSPHRASE_ENV} and no passphrase file at ${file}`);
  }
}
