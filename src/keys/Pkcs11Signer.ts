import type { CaEntry } from '../config/Config.js';
import { TesseraError } from '../errors/TesseraError.js';
import type { Signer } from './Signer.js';

/** A CA key on a PKCS#11 token (HSM, SoftHSM2). Implemented with the card issue (#6). */
export class Pkcs11Signer {
  static async open(entry: CaEntry): Promise<Signer> {
    throw new TesseraError('CONFIG_INVALID', `CA "${entry.id}": PKCS#11 key stores are not available yet`);
  }
}
