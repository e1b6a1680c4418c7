/**
 * The CA's service keys — the HTTPS server's TLS key and the delegated OCSP responder's
 * signing key (RFC 6960 §4.2.2.2) — generated, stored and loaded here, like the CA keys
 * (FileSigner.ts, Pkcs11Signer.ts) and the audit key (auditKey.ts). The rest of Tessera
 * gets the public key and a Signer, never the private key.
 *
 * Files (config/dataPaths.ts):
 *  - tls/server.key: unencrypted PKCS#8 PEM of mode 0600, which node:tls reads as it is;
 *  - keys/ocsp-<serial>.key.pem: encrypted PKCS#8 (PBES2, AES-256-CBC, RFC 8018) under
 *    the CA key passphrase (passphrase.ts), one per responder certificate.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataPaths } from '../config/dataPaths.js';
import { FileSigner } from './FileSigner.js';
import { readPassphrase } from './passphrase.js';
import type { Signer } from './Signer.js';

/** A service key, generated in memory; kept only once saved. */
export class ServiceKey {
  readonly #privateKey: KeyObject;

  private constructor(
    privateKey: KeyObject,
    /** The SubjectPublicKeyInfo DER, for the certificate. */
    readonly publicKey: Buffer,
  ) {
    this.#privateKey = privateKey;
  }

  /** A new EC P-256 key (RFC 5480), what every service certificate carries. */
  static generate(): ServiceKey {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new ServiceKey(privateKey, publicKey.export({ format: 'der', type: 'spki' }));
  }

  /** Write unencrypted PKCS#8 PEM of mode 0600 to `path`. */
  async savePlain(path: string): Promise<void> {
    await writeFile(path, this.#privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  }

  /** Write encrypted PKCS#8 of mode 0600 to `path` (atomically), and load it back as a Signer. */
  async saveEncrypted(path: string, passphrase: string): Promise<Signer> {
    const pem = this.#privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string;
    await writeFile(`${path}.tmp`, pem, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
    return FileSigner.load(path, passphrase);
  }
}

/** The HTTPS server key, next to its certificate (tls/server.key). */
export function saveTlsServerKey(paths: DataPaths, key: ServiceKey): Promise<void> {
  return key.savePlain(paths.tlsKey);
}

/** The HTTPS server's key and certificate chain, PEM, for node:tls. File system errors are thrown as they are. */
export async function readTlsIdentity(paths: DataPaths): Promise<{ key: Buffer; cert: Buffer }> {
  const key = await readFile(paths.tlsKey);
  const cert = await readFile(paths.tlsCert);
  return { key, cert };
}

const OCSP_KEY_FILE = /^ocsp-([0-9a-f]+)\.key\.pem$/;

/** The delegated OCSP responder keys of a data directory, one file per certificate serial. */
export class OcspKeyFiles {
  constructor(private readonly paths: DataPaths) {}

  file(serial: string): string {
    return join(this.paths.keys, `ocsp-${serial}.key.pem`);
  }

  /**
   * A loader for the keys in this data directory, with the passphrase read once (its
   * errors are thrown here). The loader answers undefined for a key that is not here
   * (issued by another node with its own data directory) or cannot be read.
   */
  async loader(): Promise<(serial: string) => Promise<Signer | undefined>> {
    const passphrase = await readPassphrase(this.paths.passphrase);
    return (serial) => FileSigner.load(this.file(serial), passphrase).catch(() => undefined);
  }

  /** Keep `key` as the key of responder certificate `serial`; its Signer. */
  async save(key: ServiceKey, serial: string): Promise<Signer> {
    const passphrase = await readPassphrase(this.paths.passphrase);
    return key.saveEncrypted(this.file(serial), passphrase);
  }

  /** Delete the key files of every serial not in `live`. */
  async removeAllBut(live: ReadonlySet<string>): Promise<void> {
    for (const f of await readdir(this.paths.keys)) {
      const m = OCSP_KEY_FILE.exec(f);
      if (m && !live.has(m[1])) await unlink(join(this.paths.keys, f)).catch(() => {});
    }
  }
}
