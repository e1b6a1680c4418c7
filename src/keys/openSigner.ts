import type { CaEntry } from '../config/Config.js';
import type { DataPaths } from '../config/dataPaths.js';
import { TesseraError } from '../errors/TesseraError.js';
import { FileSigner } from './FileSigner.js';
import { readPassphrase } from './passphrase.js';
import type { CaKeyAlgorithm, Signer } from './Signer.js';

/** The Signer for a configured CA key, whatever holds it. */
export async function openSigner(entry: CaEntry, paths: DataPaths): Promise<Signer> {
  if (entry.keyStore === 'file') return FileSigner.load(paths.caKey(entry.id), await readPassphrase(paths.passphrase));
  if (entry.keyStore === 'pkcs11') {
    const { Pkcs11Signer } = await import('./Pkcs11Signer.js');
    return Pkcs11Signer.open(entry);
  }
  throw new TesseraError('CONFIG_INVALID', `unknown key store ${String(entry.keyStore)}`);
}

/** A new key for a configured CA, where its entry says (`tessera init`): a file under `passphrase`, or a token. */
export async function generateSigner(
  entry: CaEntry,
  paths: DataPaths,
  alg: CaKeyAlgorithm,
  passphrase: string,
): Promise<Signer> {
  if (entry.keyStore === 'file') return FileSigner.generate(paths.caKey(entry.id), alg, passphrase);
  const { Pkcs11Signer } = await import('./Pkcs11Signer.js');
  return Pkcs11Signer.generate(entry.id, entry.pkcs11!, alg);
}
