/**
 * A Signer over an encrypted PKCS#8 file (PBES2, AES-256-CBC, RFC 8018). The passphrase
 * comes from TESSERA_CA_PASSPHRASE or a generated passphrase file of mode 0600
 * (keys/passphrase.ts).
 *
 * Signing uses node:crypto's asynchronous `sign`, which runs on the libuv thread pool:
 * concurrent requests sign on every core while the event loop keeps serving.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { TesseraError } from '../errors/TesseraError.js';
import { decodeSpki } from '../x509/publicKey.js';
import { keyInfoOf, signingAlgorithmDer, signingHash } from './algorithms.js';
import type { CaKeyAlgorithm, Signer } from './Signer.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const signAsync = promisify(cryptoSign) as (alg: string, data: Uint8Array, key: KeyObject) => Promise<Buffer>;

export class FileSigner implements Signer {
  readonly key;
  readonly algorithm: Buffer;
  readonly #privateKey: KeyObject;
  readonly #hash: string;

  private constructor(
    privateKey: KeyObject,
    readonly publicKey: Buffer,
  ) {
    this.#privateKey = privateKey;
    this.key = decodeSpki(publicKey);
    this.algorithm = signingAlgorithmDer(this.key);
    this.#hash = signingHash(this.key);
  }

  /** Load an encrypted PKCS#8 PEM file. A wrong passphrase is CA_KEY_UNAVAILABLE. */
  static async load(path: string, passphrase: string): Promise<FileSigner> {
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (e) {
      throw new TesseraError('CA_KEY_UNAVAILABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code}`);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem', passphrase });
    } catch {
      throw new TesseraError('CA_KEY_UNAVAILABLE', `cannot decrypt ${path}: wrong passphrase or damaged file`);
    }
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    return new FileSigner(key, spki);
  }

  /** Generate a CA key and write it encrypted to `path` (mode 0600). */
  static async generate(path: string, alg: CaKeyAlgorithm, passphrase: string): Promise<FileSigner> {
    const info = keyInfoOf(alg);
    const { privateKey } =
      info.kind === 'rsa'
        ? await generateKeyPairAsync('rsa', { modulusLength: info.bits, publicExponent: 0x10001 })
        : await generateKeyPairAsync('ec', { namedCurve: info.curve });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string;
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    return new FileSigner(privateKey, spki);
  }

  async sign(data: Uint8Array): Promise<Buffer> {
    return signAsync(this.#hash, data, this.#privateKey);
  }

  async close(): Promise<void> {}
}
