/**
 * Signature checks with an EC key, off the event loop.
 *
 * Why a worker thread and not `crypto.verify(..., callback)` on the libuv pool: Node
 * loads the public key on the calling thread even in the callback form, and loading a
 * P-256 SPKI with OpenSSL 3.0 costs ~100 µs here (more than the verification itself,
 * ~65 µs). Measured on this 2-core machine: callback verify with a DER key, 182 µs of
 * event loop per request; with a KeyObject, 5 µs — but creating the KeyObject is the
 * 100 µs. In a worker, both run on the other core; the event loop pays for one message
 * each way, batched per tick (bench/README.md). RSA keys are not sent: loading them as
 * PKCS#1 takes ~7 µs and verifying ~20 µs, less than the round trip.
 *
 * The worker holds no secret and no state: it loads the SPKI and verifies, nothing else.
 * It is started on first use, kept referenced only while checks are pending (so a CLI
 * command exits when done), and if it cannot run, checks run on the calling thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface VerifyJob {
  readonly spki: Uint8Array;
  readonly hash: string;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  /** RSASSA-PSS salt length; absent for PKCS#1 v1.5 and ECDSA. */
  readonly pssSaltLength?: number;
}

/** `ok`: the signature verifies; `bad`: it does not; `key`: the key cannot be loaded (message). */
export type VerifyOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'bad' }
  | { readonly kind: 'key'; readonly message: string };

// CommonJS source run with `eval`, so it works the same from dist/ and under the test runner.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify, constants } = require('node:crypto');
parentPort.on('message', (jobs) => {
  const out = [];
  for (const j of jobs) {
    let key;
    try {
      key = createPublicKey({ key: Buffer.from(j.spki), format: 'der', type: 'spki' });
    } catch (e) {
      out.push({ id: j.id, kind: 'key', message: String(e && e.message) });
      continue;
    }
    let ok = false;
    try {
      ok = j.pssSaltLength === undefined
        ? verify(j.hash, j.data, key, j.signature)
        : verify(j.hash, j.data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: j.pssSaltLength }, \
j.signature);
    } catch {
      ok = false;
    }
    out.push({ id: j.id, kind: ok ? 'ok' : 'bad' });
  }
  parentPort.postMessage(out);
});
`;

interface Pending {
  readonly resolve: (o: VerifyOutcome) => void;
  readonly reject: (e: unknown) => void;
}

class VerifyPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  #queue: (VerifyJob & { id: number })[] = [];
  #scheduled = false;
  #nextId = 1;
  #turn = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, name: 'tessera-verify' });
      w.on('message', (results: ({ id: number } & VerifyOutcome)[]) => {
        for (const r of results) {
          const p = this.#pending.get(r.id);
          this.#pending.delete(r.id);
          p?.resolve(r.kind === 'key' ? { kind: 'key', message: r.message } : { kind: r.kind });
        }
        this.#refresh();
      });
      w.on('error', (e) => this.#fail(e));
      w.unref();
      this.#workers.push(w);
    }
  }

  verify(job: VerifyJob): Promise<VerifyOutcome> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#queue.push({
        id,
        spki: job.spki,
        hash: job.hash,
        data: job.data,
        signature: job.signature,
        pssSaltLength: job.pssSaltLength,
      });
      this.#refresh();
      if (!this.#scheduled) {
        this.#scheduled = true;
        // One message per tick carries every check queued during it.
        queueMicrotask(() => this.#send());
      }
    });
  }

  #send(): void {
    this.#scheduled = false;
    const jobs = this.#queue;
    this.#queue = [];
    if (!jobs.length) return;
    const w = this.#workers[this.#turn++ % this.#workers.length];
    w.postMessage(jobs);
  }

  /** Keep the process alive only while checks are pending. */
  #refresh(): void {
    const busy = this.#pending.size > 0;
    for (const w of this.#workers) busy ? w.ref() : w.unref();
  }

  #fail(e: unknown): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
    pool = null;
  }
}

let pool: VerifyPool | null | undefined;

/** The shared pool, or null when worker threads cannot be used here. */
function getPool(): VerifyPool | null {
  if (pool === undefined) {
    try {
      // One worker per core beyond the event loop's, at most two: the thread pool signs too.
      pool = new VerifyPool(Math.max(1, Math.min(2, availableParallelism() - 1)));
    } catch {
      pool = null;
    }
  }
  return pool;
}

/** Verify in the worker; undefined when no worker is available (the caller verifies itself). */
export async function verifyInWorker(job: VerifyJob): Promise<VerifyOutcome | undefined> {
  const p = getPool();
  if (!p) return undefined;
  try {
    return await p.verify(job);
  } catch {
    return undefined;
  }
}
