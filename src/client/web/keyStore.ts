/**
 * What the page remembers between "Submit" and "Install this certificate", in this
 * browser's IndexedDB (per site): the new key under its handle (the ThumbPrint posted to
 * certfnsh.asp), and which request ID belongs to which handle, so that a pending request
 * approved days later is installed from the status page (certckpn.asp → Mode=chkpnd).
 *
 * A browser key is stored sealed (browserKey.ts). A card key stores nothing secret: the
 * card's serial and label, the key's CKA_ID and the agent's address.
 */
import type { SealedKey } from './browserKey.js';
import type { KeyAlg } from './template.js';

interface KeyRecordBase {
  /** ThumbPrint: random hex for a browser key, `card:<serial>:<keyId>` for a card key. */
  readonly handle: string;
  readonly created: number;
  readonly templateName: string;
  readonly templateDisplay: string;
  /** The friendly name typed on the request form ("" when none). */
  readonly friendlyName: string;
  readonly alg: KeyAlg;
  readonly spki: Uint8Array;
  /** Enrollment station: the user the agent enrolled. */
  readonly target?: string;
}

export interface BrowserKeyRecord extends KeyRecordBase {
  readonly provider: 'browser';
  readonly exportable: boolean;
  readonly container: string;
  readonly key: SealedKey;
}

export interface CardKeyRecord extends KeyRecordBase {
  readonly provider: 'card';
  readonly card: { readonly serial: string; readonly label: string };
  readonly keyId: string;
  readonly container: string;
  readonly agentUrl: string;
}

export type KeyRecord = BrowserKeyRecord | CardKeyRecord;

const DB_NAME = 'tessera-enroll';
const DB_VERSION = 1;
const KEYS = 'keys';
const REQUESTS = 'requests';

export function cardHandle(serial: string, keyId: string): string {
  return `card:${serial}:${keyId}`;
}

export function parseCardHandle(handle: string): { serial: string; keyId: string } | null {
  const m = /^card:([^:]+):([0-9a-fA-F]+)$/.exec(handle);
  return m ? { serial: m[1], keyId: m[2].toLowerCase() } : null;
}

function promised<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export class KeyStore {
  private constructor(private readonly db: IDBDatabase) {}

  static available(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  static async open(): Promise<KeyStore> {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS, { keyPath: 'handle' });
      if (!db.objectStoreNames.contains(REQUESTS)) db.createObjectStore(REQUESTS, { keyPath: 'requestId' });
    };
    return new KeyStore(await promised(req));
  }

  async put(record: KeyRecord): Promise<void> {
    const tx = this.db.transaction(KEYS, 'readwrite');
    tx.objectStore(KEYS).put(record);
    await done(tx);
  }

  async get(handle: string): Promise<KeyRecord | undefined> {
    return promised(this.db.transaction(KEYS).objectStore(KEYS).get(handle)) as Promise<KeyRecord | undefined>;
  }

  /** Remove the key (and the request links that point to it). */
  async delete(handle: string): Promise<void> {
    const tx = this.db.transaction([KEYS, REQUESTS], 'readwrite');
    tx.objectStore(KEYS).delete(handle);
    const reqs = tx.objectStore(REQUESTS);
    const all = (await promised(reqs.getAll())) as { requestId: number; handle: string }[];
    for (const r of all) if (r.handle === handle) reqs.delete(r.requestId);
    await done(tx);
  }

  async linkRequest(requestId: number, handle: string): Promise<void> {
    const tx = this.db.transaction(REQUESTS, 'readwrite');
    tx.objectStore(REQUESTS).put({ requestId, handle, linked: Date.now() });
    await done(tx);
  }

  async handleForRequest(requestId: number): Promise<string | undefined> {
    const r = (await promised(this.db.transaction(REQUESTS).objectStore(REQUESTS).get(requestId))) as
      | { handle: string }
      | undefined;
    return r?.handle;
  }

  close(): void {
    this.db.close();
  }
}
