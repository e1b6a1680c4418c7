/**
 * One loaded PKCS#11 module per path and process. Cryptoki allows C_Initialize once per
 * process, so every card, the card agent and Pkcs11Signer share this object.
 *
 * SoftHSM2 reads its token directory (SOFTHSM2_CONF) at C_Initialize and never sees
 * tokens another process creates or deletes afterwards; `refresh()` re-initializes the
 * module when nothing holds a session, so `card list` and the card agent see the cards
 * that are present now. Slot IDs are not stable across re-initialization (SoftHSM2
 * derives them from the token serial), so cards are named by label and serial number.
 *
 * Library: pkcs11js 2 directly (graphene-pk11 and node-webcrypto-p11 wrap it). We need the
 * raw CKR_ codes and token flags (CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED), our own
 * CKA_ID (the certificate's SKI), and pkcs11js's Promise variants of C_GenerateKeyPair and
 * C_Sign that run on the libuv pool instead of blocking the event loop (docs/cards.md).
 */
import { existsSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { TesseraError } from '../../errors/TesseraError.js';

export const MODULE_ENV = 'TESSERA_PKCS11_MODULE';

/** Where Debian and others put SoftHSM2 (the default virtual card) and OpenSC (physical cards). */
export const SOFTHSM2_MODULES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];
export const OPENSC_MODULES = [
  '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib/opensc-pkcs11.so',
  '/usr/local/lib/opensc-pkcs11.so',
  '/Library/OpenSC/lib/opensc-pkcs11.so',
];

/** `--module`, then TESSERA_PKCS11_MODULE, then the first SoftHSM2 found. */
export function resolveModulePath(option?: string): string {
  const chosen = option ?? process.env[MODULE_ENV];
  if (chosen) {
    if (chosen === 'softhsm2' || chosen === 'opensc') {
      const found = (chosen === 'softhsm2' ? SOFTHSM2_MODULES : OPENSC_MODULES).find((p) => existsSync(p));
      if (!found) throw new TesseraError('CARD_MODULE_UNAVAILABLE', `no ${chosen} PKCS#11 module is installed`);
      return found;
    }
    return chosen;
  }
  const found = SOFTHSM2_MODULES.find((p) => existsSync(p));
  if (!found)
    throw new TesseraError(
      'CARD_MODULE_UNAVAILABLE',
      `SoftHSM2 is not installed (apt-get install softhsm2); or pass --module / ${MODULE_ENV}`,
    );
  return found;
}

export interface ModuleInfo {
  readonly path: string;
  readonly manufacturer: string;
  readonly description: string;
  readonly version: string;
  readonly cryptoki: string;
}

const trim = (s: string) => s.replace(/[\s\0]+$/, '');

export class Pkcs11Module {
  static readonly #loaded = new Map<string, Pkcs11Module>();

  readonly p: pkcs11js.PKCS11;
  #users = 0;
  #sessions = 0;
  #initialized = false;
  #info: ModuleInfo | undefined;

  private constructor(readonly path: string) {
    this.p = new pkcs11js.PKCS11();
    try {
      this.p.load(path);
    } catch (e) {
      throw new TesseraError('CARD_MODULE_UNAVAILABLE', `cannot load ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The process-wide module for `path`, initialized. Pair with `release()`. */
  static acquire(path: string): Pkcs11Module {
    let m = Pkcs11Module.#loaded.get(path);
    if (!m) {
      m = new Pkcs11Module(path);
      Pkcs11Module.#loaded.set(path, m);
    }
    m.#ensureInitialized();
    m.#users++;
    return m;
  }

  #ensureInitialized(): void {
    if (this.#initialized) return;
    try {
      this.p.C_Initialize();
    } catch (e) {
      // Another user of the same library in this process (rare) already initialized it.
      if (!(e as Error).message.includes('CKR_CRYPTOKI_ALREADY_INITIALIZED')) {
        throw new TesseraError(
          'CARD_MODULE_UNAVAILABLE',
          `C_Initialize of ${this.path} failed: ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
    this.#initialized = true;
    const i = this.p.C_GetInfo();
    this.#info = {
      path: this.path,
      manufacturer: trim(i.manufacturerID),
      description: trim(i.libraryDescription),
      version: `${i.libraryVersion.major}.${i.libraryVersion.minor}`,
      cryptoki: `${i.cryptokiVersion.major}.${i.cryptokiVersion.minor}`,
    };
  }

  get info(): ModuleInfo {
    this.#ensureInitialized();
    return this.#info!;
  }

  /** SoftHSM2: virtual cards can be created and deleted, and it never locks a PIN. */
  get isSoftHsm(): boolean {
    return this.info.manufacturer.startsWith('SoftHSM');
  }

  /**
   * See the cards present now. Re-initializes the module when no session is open (the
   * only way SoftHSM2 notices tokens created or deleted by another process); otherwise
   * the current view stays.
   */
  refresh(): void {
    if (this.#sessions > 0 || !this.#initialized) return;
    try {
      this.p.C_Finalize();
    } catch {
      /* already finalized */
    }
    this.#initialized = false;
    this.#ensureInitialized();
  }

  readonly #perToken = new Map<string, number>();

  /** @internal CardSession bookkeeping: a refresh would invalidate open session handles. */
  sessionOpened(serial: string): void {
    this.#sessions++;
    this.#perToken.set(serial, (this.#perToken.get(serial) ?? 0) + 1);
  }
  /** @internal */
  sessionClosed(serial: string): void {
    this.#sessions = Math.max(0, this.#sessions - 1);
    const n = (this.#perToken.get(serial) ?? 1) - 1;
    if (n > 0) this.#perToken.set(serial, n);
    else this.#perToken.delete(serial);
  }
  /**
   * Open sessions on one token in this process. PKCS#11 login state belongs to the
   * application, not the session (v2.40 §5.6): C_Logout in one session logs out all of
   * them, and the private-key handles of a CA signer on the same token would die.
   */
  sessionsOn(serial: string): number {
    return this.#perToken.get(serial) ?? 0;
  }

  /** Drop one user; the last one finalizes the module (a later acquire re-reads the tokens). */
  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users === 0 && this.#sessions === 0 && this.#initialized) {
      try {
        this.p.C_Finalize();
      } catch {
        /* ignore */
      }
      this.#initialized = false;
    }
  }
}
