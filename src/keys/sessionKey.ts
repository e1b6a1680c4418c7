/**
 * keys/session.key: the HMAC key of the session cookies (entry/http/auth/sessionToken.ts),
 * 32 random bytes in hex, mode 0600, created on first start. Every node sharing a data
 * directory uses the same key.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { DataPaths } from '../config/dataPaths.js';

export async function sessionKey(paths: DataPaths): Promise<Buffer> {
  const file = `${paths.keys}/session.key`;
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  } catch {
    const key = randomBytes(32);
    await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' }).catch(() => {});
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  }
}
