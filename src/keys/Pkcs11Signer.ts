/**
 * A CA key on a PKCS#11 token (an HSM in production, SoftHSM2 in tests) behind the Signer
 * seam. The key is generated on the token (CKA_SENSITIVE, CKA_EXTRACTABLE=false) and
 * never leaves it; the token PIN comes from the environment variable the configuration
 * names (cas[].pkcs11.pinEnv, default TESSERA_PKCS11_PIN), never from tessera.json.
 *
 * Signing hashes here and uses CKM_RSA_PKCS (DigestInfo) or CKM_ECDSA on the token, the
 * mechanisms every HSM offers. A PKCS#11 session runs one operation at a time, so signs
 * are queued on this signer's session; C_SignAsync keeps the event loop free meanwhile.
 */
import type { CaEntry } from '../config/Config.js';
import { findCard } from '../card/Card.js';
import { describeCard } from '../card/CardError.js';
import { CardSession } from '../card/CardSession.js';
import type { CardHash, CardKeySpec } from '../card/cardKeys.js';
import { Pkcs11Module } from '../card/pkcs11/Pkcs11Module.js';
import { TesseraError } from '../errors/TesseraError.js';
import { decodeSpki } from '../x509/publicKey.js';
import pkcs11js from 'pkcs11js';
import { keyInfoOf, signingAlgorithmDer, signingHash } from './algorithms.js';
import type { CaKeyAlgorithm, Signer } from './Signer.js';

export const PKCS11_PIN_ENV = 'TESSERA_PKCS11_PIN';

export interface Pkcs11KeyRef {
  readonly module: string;
  readonly token: string;
  readonly label: string;
  readonly pinEnv?: string;
}

function pinFrom(ref: Pkcs11KeyRef, caId: string): string {
  const name = ref.pinEnv ?? PKCS11_PIN_ENV;
  const pin = process.env[name];
  if (!pin)
    throw new TesseraError(
      'CA_KEY_UNAVAILABLE',
      `CA "${caId}": the PIN of token "${ref.token}" is read from $${name}, which is not set`,
    );
  return pin;
}

/** Card errors at the CA keep their precise code in the detail, under CA_KEY_UNAVAILABLE. */
function caKeyError(caId: string, e: unknown): TesseraError {
  if (e instanceof TesseraError && e.code === 'CA_KEY_UNAVAILABLE') return e;
  const t = e instanceof TesseraError ? e : new TesseraError('CARD_ERROR', (e as Error).message);
  return new TesseraError('CA_KEY_UNAVAILABLE', `CA "${caId}": ${t.describe()} [${t.code}]`, { cause: e });
}

export class Pkcs11Signer implements Signer {
  readonly key;
  readonly algorithm: Buffer;
  readonly #hash: CardHash;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    readonly caId: string,
    private readonly mod: Pkcs11Module,
    private readonly session: CardSession,
    private readonly privateKey: Buffer,
    readonly publicKey: Buffer,
  ) {
    this.key = decodeSpki(publicKey);
    this.algorithm = signingAlgorithmDer(this.key);
    this.#hash = signingHash(this.key);
  }

  /** The configured CA key, logged in with the PIN from the environment. */
  static async open(entry: CaEntry): Promise<Signer> {
    const ref = entry.pkcs11;
    if (entry.keyStore !== 'pkcs11' || !ref)
      throw new TesseraError('CONFIG_INVALID', `CA "${entry.id}" has no pkcs11 settings`);
    return Pkcs11Signer.#withToken(entry.id, ref, (s) => {
      const priv = s.find([
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: ref.label },
      ]);
      if (priv.length !== 1) {
        throw new TesseraError(
          'CA_KEY_UNAVAILABLE',
          `CA "${entry.id}": token ${describeCard(s.card)} holds ${priv.length} ` +
            `private keys labelled "${ref.label}" (expected exactly one)`,
        );
      }
      const id = s.attr(priv[0], pkcs11js.CKA_ID);
      const pub = s.find([
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        ...(id ? [{ type: pkcs11js.CKA_ID, value: id }] : [{ type: pkcs11js.CKA_LABEL, value: ref.label }]),
      ]);
      const spki = (pub.length === 1 ? s.spkiOf(pub[0]) : undefined) ?? s.spkiOf(priv[0]);
      if (!spki)
        throw new TesseraError(
          'CA_KEY_UNAVAILABLE',
          `CA "${entry.id}": no public key for "${ref.label}" on token ${describeCard(s.card)}`,
        );
      return { priv: priv[0], spki };
    });
  }

  /** Generate a CA key on the token (tessera init --ca-key-store pkcs11). */
  static async generate(caId: string, ref: Pkcs11KeyRef, alg: CaKeyAlgorithm): Promise<Pkcs11Signer> {
    const info = keyInfoOf(alg);
    const spec: CardKeySpec =
      info.kind === 'rsa' ? { kind: 'rsa', bits: info.bits } : { kind: 'ec', curve: info.curve };
    return Pkcs11Signer.#withToken(caId, ref, async (s) => {
      const existing = s.find([
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: ref.label },
      ]);
      if (existing.length)
        throw new TesseraError(
          'ALREADY_EXISTS',
          `token ${describeCard(s.card)} already holds a key labelled "${ref.label}"`,
        );
      const k = await s.generateKeyPair(spec, ref.label);
      return { priv: k.privateKey, spki: k.spki };
    });
  }

  /**
   * Before `tessera init` writes anything: the token is present, the PIN works, and none
   * of `labels` is taken. Throws CA_KEY_UNAVAILABLE or ALREADY_EXISTS naming the token.
   */
  static async checkToken(ref: Omit<Pkcs11KeyRef, 'label'>, labels: readonly string[]): Promise<void> {
    const pin = pinFrom({ ...ref, label: '' }, 'init');
    let mod: Pkcs11Module;
    try {
      mod = Pkcs11Module.acquire(ref.module);
    } catch (e) {
      throw caKeyError('init', e);
    }
    try {
      const s = CardSession.open(mod, findCard(mod, { label: ref.token }));
      try {
        s.login(pin);
        for (const label of labels) {
          if (
            s.find([
              { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
              { type: pkcs11js.CKA_LABEL, value: label },
            ]).length
          ) {
            throw new TesseraError(
              'ALREADY_EXISTS',
              `token ${describeCard(s.card)} already holds a key labelled "${label}"`,
            );
          }
        }
      } finally {
        s.close();
      }
    } catch (e) {
      if (e instanceof TesseraError && e.code === 'ALREADY_EXISTS') throw e;
      throw caKeyError('init', e);
    } finally {
      mod.release();
    }
  }

  static async #withToken(
    caId: string,
    ref: Pkcs11KeyRef,
    find: (s: CardSession) => Promise<{ priv: Buffer; spki: Buffer }> | { priv: Buffer; spki: Buffer },
  ): Promise<Pkcs11Signer> {
    const pin = pinFrom(ref, caId);
    let mod: Pkcs11Module;
    try {
      mod = Pkcs11Module.acquire(ref.module);
    } catch (e) {
      throw caKeyError(caId, e);
    }
    let session: CardSession | undefined;
    try {
      const token = findCard(mod, { label: ref.token });
      session = CardSession.open(mod, token);
      session.login(pin);
      const { priv, spki } = await find(session);
      return new Pkcs11Signer(caId, mod, session, priv, spki);
    } catch (e) {
      session?.close();
      mod.release();
      throw caKeyError(caId, e);
    }
  }

  sign(data: Uint8Array): Promise<Buffer> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new TesseraError('CA_KEY_UNAVAILABLE', `CA "${this.caId}": the signer is closed`);
      return this.session.sign(this.privateKey, this.publicKey, this.#hash, data);
    });
    this.#queue = run.catch(() => {});
    return run.catch((e) => Promise.reject(caKeyError(this.caId, e)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue;
    this.#closed = true;
    this.session.close();
    this.mod.release();
  }
}
