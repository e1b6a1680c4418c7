/**
 * The card agent: a small HTTP service on 127.0.0.1 that the web enrollment page calls
 * to use the user's PKCS#11 cards — the role CertEnroll/ActiveX played for Internet
 * Explorer. API and security model: docs/cards.md "Card agent".
 *
 * A Fastify app whose errors are the CA's problem+json documents (src/entry/http/problemDocument.ts).
 * What keeps it safe:
 *
 *  - binds 127.0.0.1 only; answers only requests whose Origin is configured
 *    (`--allow-origin`), CORS preflight included; a missing or foreign Origin gets
 *    CARD_AGENT_ORIGIN_REFUSED and no CORS headers (the page cannot read the answer);
 *  - Host must be the loopback name the agent listens on (DNS rebinding);
 *  - no private-key export exists; keys are generated non-extractable on the card;
 *  - every key, sign, install and cancel operation logs in with the PIN sent with it
 *    and logs out at once; the PIN is never stored, logged, or sent anywhere else;
 *  - "generate" opens an operation (a random session ID bound to the Origin, the card
 *    and the new key, 10 minutes): "sign" works only inside it and only on a request
 *    for that key (signingPolicy.ts);
 *  - after `pinAttemptLimit` consecutive wrong PINs for a card (default 5) the agent
 *    stops passing PINs for that card to the module until it restarts. This counter
 *    lives in this process's memory only. It protects the card from a page (even an
 *    allowed one) using the agent to guess PINs; it is not the card's own lockout and
 *    does nothing against software that calls the PKCS#11 module directly.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { fromFastifyError, problemOf } from '../../entry/http/problemDocument.js';
import { asTesseraError, TesseraError } from '../../errors/TesseraError.js';
import { decodeRequestBytes } from '../../x509/pem.js';
import { findCard, listCards, type CardInfo, type CardSelector } from '../../card/Card.js';
import { CardError, describeCard } from '../../card/CardError.js';
import { CardSession } from '../../card/CardSession.js';
import { parseHash, parseKeySpec, describeKeySpec, type CardKeySpec } from '../../card/cardKeys.js';
import type { Pkcs11Module } from '../../card/pkcs11/Pkcs11Module.js';
import { agentCertificateIds } from './agentCertificateIds.js';
import { checkCmcSignedAttributes, checkPkcs10Info } from './signingPolicy.js';

export const AGENT_API_VERSION = 1;

export interface CardAgentOptions {
  readonly module: Pkcs11Module;
  /** Web origins allowed to call the agent, e.g. https://ca.example:8443. */
  readonly allowOrigins: readonly string[];
  readonly sessionTtlMs?: number;
  readonly pinAttemptLimit?: number;
  /** One line per request: method, path, status, code, card. Never a PIN or a body. */
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

interface AgentSession {
  readonly id: string;
  readonly origin: string;
  readonly card: { readonly label: string; readonly serial: string };
  readonly keyId: Buffer;
  readonly spki: Buffer;
  readonly spec: CardKeySpec;
  readonly container: string;
  readonly expires: number;
  installed: boolean;
}

const MAX_BODY = 64 * 1024;

/** What the request log line says besides method, path and status. */
interface LogNote {
  code?: string;
  card?: string;
}

/** An operation's answer: status, JSON body and the card it used (for the log). */
interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly card?: string;
}

/** Origins as URL origins ("https://ca.example:8443"); anything else is a configuration error. */
export function normalizeOrigin(o: string): string {
  let u: URL;
  try {
    u = new URL(o);
  } catch {
    throw new TesseraError('INPUT_INVALID', `--allow-origin ${o}: an origin such as https://ca.example.com:8443`);
  }
  if (!['https:', 'http:'].includes(u.protocol) || u.origin === 'null')
    throw new TesseraError('INPUT_INVALID', `--allow-origin ${o}: an http(s) origin`);
  return u.origin;
}

export class CardAgent {
  readonly #mod: Pkcs11Module;
  readonly #origins: Set<string>;
  readonly #sessions = new Map<string, AgentSession>();
  readonly #wrongPins = new Map<string, number>();
  readonly #ttl: number;
  readonly #limit: number;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  #app: FastifyInstance | undefined;
  #port = 0;
  /** One card operation at a time: a module refresh never happens under an open session. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: CardAgentOptions) {
    if (!o.allowOrigins.length)
      throw new TesseraError('INPUT_INVALID', 'the card agent needs at least one --allow-origin');
    this.#mod = o.module;
    this.#origins = new Set(o.allowOrigins.map(normalizeOrigin));
    this.#ttl = o.sessionTtlMs ?? 10 * 60_000;
    this.#limit = o.pinAttemptLimit ?? 5;
    this.#log = o.log ?? (() => {});
    this.#now = o.now ?? Date.now;
  }

  get origins(): readonly string[] {
    return [...this.#origins];
  }

  /** The Fastify app, built by listen(); inject() drives it in tests. */
  get app(): FastifyInstance {
    if (!this.#app) throw new TesseraError('INTERNAL', 'the card agent is not listening');
    return this.#app;
  }

  async listen(port = 0): Promise<{ port: number; url: string }> {
    const app = this.#build();
    try {
      // Loopback only: the agent is never reachable from the network.
      await app.listen({ port, host: '127.0.0.1' });
    } catch (e) {
      await app.close().catch(() => {});
      throw e;
    }
    this.#app = app;
    this.#port = (app.server.address() as AddressInfo).port;
    return { port: this.#port, url: `http://127.0.0.1:${this.#port}` };
  }

  async close(): Promise<void> {
    const app = this.#app;
    this.#app = undefined;
    if (app) await app.close();
    this.#sessions.clear();
  }

  // --- HTTP ---------------------------------------------------------------------------------

  #build(): FastifyInstance {
    const app = Fastify({ logger: false, bodyLimit: MAX_BODY, requestTimeout: 120_000, exposeHeadRoutes: false });
    app.server.headersTimeout = 10_000;
    const notes = new WeakMap<FastifyRequest, LogNote>();
    const note = (req: FastifyRequest, n: LogNote) => notes.set(req, { ...notes.get(req), ...n });
    const origin = (req: FastifyRequest) => (typeof req.headers.origin === 'string' ? req.headers.origin : undefined);
    const allowed = (req: FastifyRequest) => {
      const o = origin(req);
      return o !== undefined && this.#origins.has(o);
    };

    app.addHook('onRequest', async (req, reply) => {
      const o = origin(req);
      if (!this.#hostOk(req.headers.host)) {
        throw new TesseraError(
          'CARD_AGENT_ORIGIN_REFUSED',
          `Host ${req.headers.host ?? '(none)'} is not the agent's loopback address`,
        );
      }
      if (!allowed(req)) {
        const why = o
          ? `Origin ${o} is not configured (--allow-origin)`
          : 'the request has no Origin header; only web pages of the configured CA sites may call the agent';
        throw new TesseraError('CARD_AGENT_ORIGIN_REFUSED', why);
      }
      if (req.method === 'OPTIONS') {
        return reply
          .code(204)
          .headers({
            ...this.#cors(o!),
            'access-control-allow-methods': 'GET, POST',
            'access-control-allow-headers': 'content-type',
            'access-control-max-age': '600',
            // Chrome Private Network Access: a public page calling a loopback service.
            ...(req.headers['access-control-request-private-network'] === 'true'
              ? { 'access-control-allow-private-network': 'true' }
              : {}),
          })
          .send();
      }
      // application/json forces a CORS preflight for cross-origin calls: no "simple" blind POSTs.
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (req.method === 'POST' && type !== 'application/json') {
        throw new TesseraError('INPUT_INVALID', 'send application/json');
      }
    });
    app.addHook('onResponse', async (req, reply) => {
      const n = notes.get(req) ?? {};
      const path = req.url.split('?')[0];
      const code = n.code ? ` ${n.code}` : '';
      const card = n.card ? ` ${n.card}` : '';
      this.#log(`${req.method} ${path} ${reply.statusCode}${code}${card} origin=${origin(req) ?? '-'}`);
    });

    // Only POST bodies are read, and only as one JSON object (the hook has checked the type).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (req, text, done) => {
      if (req.method !== 'POST') return done(null, undefined);
      try {
        const v = JSON.parse(text as string) as unknown;
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error();
        done(null, v);
      } catch {
        done(new TesseraError('INPUT_INVALID', 'the body is not a JSON object'), undefined);
      }
    });

    const answer = (req: FastifyRequest, reply: FastifyReply, r: Answer) => {
      note(req, { card: r.card });
      const headers = { ...this.#cors(origin(req)!), 'cache-control': 'no-store' };
      return reply.code(r.status).headers(headers).type('application/json').send(r.body);
    };
    const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
    const route = (method: 'GET' | 'POST', path: string, run: (req: FastifyRequest) => Promise<Answer>) =>
      app.route({ method, url: path, handler: async (req, reply) => answer(req, reply, await run(req)) });

    route('GET', '/v1/status', async () => {
      const i = this.#mod.info;
      const module = {
        manufacturer: i.manufacturer,
        description: i.description,
        version: i.version,
        virtualCards: this.#mod.isSoftHsm,
      };
      return { status: 200, body: { agent: 'tessera-card-agent', apiVersion: AGENT_API_VERSION, module } };
    });
    route('GET', '/v1/cards', async () => ({
      status: 200,
      body: { cards: await this.#exclusive(() => this.#cards()) },
    }));
    route('POST', '/v1/keys', (req) => this.#exclusive(() => this.#generate(body(req), origin(req)!)));
    route('POST', '/v1/sign', (req) => this.#exclusive(() => this.#sign(body(req), origin(req)!)));
    route('POST', '/v1/certificates', (req) => this.#exclusive(() => this.#install(body(req), origin(req)!)));
    route('POST', '/v1/sessions/:id/cancel', async (req) => {
      const cancel = /^\/v1\/sessions\/([A-Za-z0-9_-]{1,64})\/cancel$/.exec(req.url.split('?')[0]);
      if (!cancel) throw new TesseraError('NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`);
      return this.#exclusive(() => this.#cancel(cancel[1], body(req), origin(req)!));
    });
    app.setNotFoundHandler(async (req) => {
      throw new TesseraError('NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`);
    });

    app.setErrorHandler(async (e, req, reply) => {
      const tooLarge = (e as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
      const err = tooLarge
        ? new TesseraError('REQUEST_TOO_LARGE', `more than ${MAX_BODY} bytes`)
        : (fromFastifyError(e) ?? asTesseraError(e, 'CARD_ERROR'));
      const c = err instanceof CardError ? err.card : undefined;
      note(req, { code: err.code, card: c ? describeCard(c) : '' });
      // The caller is the machine's own user: a card failure's detail is shown even for a 5xx.
      const problem = problemOf(err, {
        exposeDetail: err.code.startsWith('CARD_'),
        ...(c ? { card: { label: c.label, serial: c.serial } } : {}),
        ...(err instanceof CardError && err.pinTries ? { pinTries: err.pinTries } : {}),
      });
      // Refused origins get no CORS headers: a foreign page cannot even read the refusal.
      const headers = { ...(allowed(req) ? this.#cors(origin(req)!) : {}), 'cache-control': 'no-store' };
      return reply.code(problem.status).headers(headers).type('application/problem+json').send(problem);
    });
    return app;
  }

  #hostOk(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.#port}` || host === `localhost:${this.#port}`;
  }

  #cors(origin: string): Record<string, string> {
    return { 'access-control-allow-origin': origin, vary: 'Origin' };
  }

  #exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  // --- operations ---------------------------------------------------------------------------

  #cards() {
    const cards = listCards(this.#mod);
    return cards.map((c) => {
      const s = CardSession.open(this.#mod, c, { rw: false });
      try {
        const objs = s.objects();
        const agentIds = agentCertificateIds(s);
        let changeRequired = c.pin.toBeChanged;
        try {
          s.requireUsablePin();
        } catch {
          changeRequired = true;
        }
        return {
          label: c.label,
          serial: c.serial,
          manufacturer: c.manufacturer,
          model: c.model,
          virtual: this.#mod.isSoftHsm,
          pin: {
            locked: c.pin.locked,
            finalTry: c.pin.finalTry,
            countLow: this.#mod.isSoftHsm ? false : c.pin.countLow,
            changeRequired,
            agentThrottled: (this.#wrongPins.get(c.serial) ?? 0) >= this.#limit,
          },
          publicKeys: objs.filter((o) => o.class === 'publicKey').length,
          // Public key objects only (no PIN): the page matches an issued certificate to its key
          // by public key or CKA_ID and offers to install it (docs/cards.md "Orphan keys").
          keys: objs
            .filter((o) => o.class === 'publicKey')
            .map((o) => ({
              id: o.id,
              label: o.label,
              key: o.key ?? null,
              spkiSha256: o.spkiSha256 ?? null,
              certificate: !o.orphan,
            })),
          certificates: objs
            .filter((o) => o.class === 'certificate')
            .map((o) => ({
              label: o.label,
              id: o.id,
              subject: o.subject ?? null,
              notAfter: o.notAfter?.toISOString() ?? null,
              sha256: o.sha256 ?? null,
              enrollmentAgent: agentIds.has(o.id),
            })),
        };
      } finally {
        s.close();
      }
    });
  }

  /** Log in with the PIN, counting consecutive wrong PINs per card (see the header comment). */
  #login(s: CardSession, pin: unknown): void {
    if (typeof pin !== 'string' || pin.length === 0)
      throw new CardError('CARD_CANCELLED', s.card, 'no PIN was entered');
    const serial = s.card.serial;
    if ((this.#wrongPins.get(serial) ?? 0) >= this.#limit) {
      throw new CardError(
        'CARD_AGENT_PIN_THROTTLED',
        s.card,
        `${this.#limit} wrong PINs in a row for card ${describeCard(s.card)} through this ` +
          'agent; the agent no longer passes PINs for it to the card until it is restarted',
      );
    }
    try {
      s.login(pin);
      this.#wrongPins.delete(serial);
    } catch (e) {
      if (e instanceof TesseraError && e.code === 'CARD_PIN_INCORRECT')
        this.#wrongPins.set(serial, (this.#wrongPins.get(serial) ?? 0) + 1);
      throw e;
    }
  }

  #session(id: unknown, origin: string): AgentSession {
    const s = typeof id === 'string' ? this.#sessions.get(id) : undefined;
    if (!s || s.origin !== origin)
      throw new TesseraError('CARD_AGENT_SESSION_UNKNOWN', 'no such card operation for this page');
    if (s.expires <= this.#now()) {
      this.#sessions.delete(s.id);
      throw new TesseraError('CARD_AGENT_SESSION_UNKNOWN', 'the card operation expired');
    }
    return s;
  }

  /** The card of an operation, which must still be present. */
  #sessionCard(a: AgentSession): CardInfo {
    try {
      return findCard(this.#mod, { serial: a.card.serial });
    } catch (e) {
      if (e instanceof TesseraError && e.code === 'CARD_NOT_FOUND') {
        throw new CardError(
          'CARD_REMOVED',
          a.card,
          `card ${describeCard(a.card)} was removed after the key was generated; insert it and start again`,
        );
      }
      throw e;
    }
  }

  async #generate(body: Record<string, unknown>, origin: string): Promise<Answer> {
    const sel = selector(body.card);
    const alg = str(body.keyAlg) ?? 'rsa';
    const spec = parseKeySpec(
      alg,
      alg === 'rsa' ? ((body.keySize as number | undefined) ?? 2048) : undefined,
      str(body.curve),
    );
    const card = findCard(this.#mod, sel);
    const s = CardSession.open(this.#mod, card);
    try {
      s.requireUsablePin();
      this.#login(s, body.pin);
      const container = str(body.container) ?? `te-${str(body.template) ?? 'Tessera'}-${crypto.randomUUID()}`;
      const started = performance.now();
      const key = await s.generateKeyPair(spec, container);
      const ms = performance.now() - started;
      const id = randomBytes(16).toString('base64url');
      this.#sessions.set(id, {
        id,
        origin,
        card: { label: card.label, serial: card.serial },
        keyId: key.id,
        spki: key.spki,
        spec,
        container,
        expires: this.#now() + this.#ttl,
        installed: false,
      });
      this.#expire();
      return {
        status: 201,
        card: describeCard(card),
        body: {
          session: id,
          card: { label: card.label, serial: card.serial },
          spki: key.spki.toString('base64'),
          keyId: key.id.toString('hex'),
          container,
          key: describeKeySpec(spec),
          keyKind: spec.kind,
          generationMs: Math.round(ms),
        },
      };
    } finally {
      s.close();
    }
  }

  async #sign(body: Record<string, unknown>, origin: string): Promise<Answer> {
    const a = this.#session(body.session, origin);
    const hash = parseHash(str(body.hash) ?? 'sha256');
    const data = b64(body.data, 'data');
    const format = str(body.format) ?? 'pkcs10';
    if (format === 'pkcs10') checkPkcs10Info(data, a.spki);
    else if (format === 'cmc')
      checkCmcSignedAttributes(
        data,
        body.content === undefined ? undefined : b64(body.content, 'content'),
        hash,
        a.spki,
      );
    else throw new TesseraError('INPUT_INVALID', 'format: pkcs10 or cmc');
    const card = this.#sessionCard(a);
    const s = CardSession.open(this.#mod, card);
    try {
      this.#login(s, body.pin);
      const key = s.findKeyFor(a.spki, a.keyId);
      if (!key)
        throw new CardError(
          'CARD_KEY_NOT_FOUND',
          a.card,
          `the key generated in this operation is no longer on card ${describeCard(a.card)}`,
        );
      const signature = await s.sign(key.privateKey, a.spki, hash, data);
      return { status: 200, card: describeCard(card), body: { signature: signature.toString('base64') } };
    } finally {
      s.close();
    }
  }

  async #install(body: Record<string, unknown>, origin: string): Promise<Answer> {
    const a = body.session !== undefined ? this.#session(body.session, origin) : undefined;
    let der: Buffer;
    try {
      der = decodeRequestBytes(str(body.certificate) ?? '');
    } catch {
      throw new TesseraError('INPUT_INVALID', 'certificate: PEM or base64 DER');
    }
    const card = a ? this.#sessionCard(a) : findCard(this.#mod, selector(body.card));
    const s = CardSession.open(this.#mod, card);
    try {
      this.#login(s, body.pin);
      const friendlyName = str(body.friendlyName) ?? 'Smartcard Certificate';
      if (friendlyName.length > 128) throw new TesseraError('INPUT_INVALID', 'friendlyName: at most 128 characters');
      const r = s.installCertificate(der, friendlyName);
      if (a) a.installed = true;
      return {
        status: r.alreadyPresent ? 200 : 201,
        card: describeCard(card),
        body: {
          card: { label: card.label, serial: card.serial },
          id: r.id,
          label: r.label,
          alreadyPresent: r.alreadyPresent,
        },
      };
    } finally {
      s.close();
    }
  }

  /** The user cancelled: the key of an operation that got no certificate is deleted from the card. */
  async #cancel(id: string, body: Record<string, unknown>, origin: string): Promise<Answer> {
    const a = this.#session(id, origin);
    const card = this.#sessionCard(a);
    const s = CardSession.open(this.#mod, card);
    try {
      this.#login(s, body.pin);
      const removed = a.installed ? 0 : s.destroyById(a.keyId);
      this.#sessions.delete(id);
      return { status: 200, card: describeCard(card), body: { cancelled: true, objectsRemoved: removed } };
    } finally {
      s.close();
    }
  }

  #expire(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expires <= now) this.#sessions.delete(id);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length ? v : undefined;
}

function b64(v: unknown, name: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length === 0)
    throw new TesseraError('INPUT_INVALID', `${name}: base64`);
  return Buffer.from(v, 'base64');
}

function selector(v: unknown): CardSelector {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object') throw new TesseraError('INPUT_INVALID', 'card: {"label": …} or {"serial": …}');
  const o = v as Record<string, unknown>;
  return { ...(str(o.label) ? { label: str(o.label) } : {}), ...(str(o.serial) ? { serial: str(o.serial) } : {}) };
}
