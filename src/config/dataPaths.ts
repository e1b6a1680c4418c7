/**
 * The data directory layout (README "Data directory"):
 *
 *   tessera.json            configuration
 *   tessera.db              SQLite database (unless a postgres:// URL is configured)
 *   keys/                   mode 0700
 *     <ca>.key.pem          CA keys, encrypted PKCS#8 (AES-256-CBC, PBKDF2)
 *     passphrase            generated CA key passphrase, mode 0600 (absent with TESSERA_CA_PASSPHRASE)
 *     audit.key             HMAC key of the audit chain, mode 0600 (absent with TESSERA_AUDIT_KEY)
 *   certs/                  CA certificates and chain, for distribution
 *   tls/                    the HTTPS server certificate and key
 *   demo-credentials.txt    `npm start` demo passwords, mode 0600
 */
import { resolve } from 'node:path';

export const DATA_ENV = 'TESSERA_DATA';

export function resolveDataDir(option?: string): string {
  return resolve(option ?? process.env[DATA_ENV] ?? './data');
}

export function dataPaths(dir: string) {
  const p = (...parts: string[]) => resolve(dir, ...parts);
  return {
    dir,
    config: p('tessera.json'),
    keys: p('keys'),
    caKey: (id: string) => p('keys', `${id}.key.pem`),
    passphrase: p('keys', 'passphrase'),
    auditKey: p('keys', 'audit.key'),
    certs: p('certs'),
    caCert: (id: string) => p('certs', `${id}.cer`),
    tls: p('tls'),
    tlsCert: p('tls', 'server.pem'),
    tlsKey: p('tls', 'server.key'),
    demoCredentials: p('demo-credentials.txt'),
    sqlite: (name: string) => p(name),
  };
}

export type DataPaths = ReturnType<typeof dataPaths>;
