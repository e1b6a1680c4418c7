/**
 * A minimal TLS 1.2 client (RFC 5246, ECDHE with P-256, AES-128-GCM, RFC 5289 suites),
 * written for one purpose: to present a certificate and sign the CertificateVerify with
 * any key we choose. Every TLS library refuses to pair a certificate with a key that does
 * not match it (OpenSSL "key values mismatch"), so this is how a test plays the client
 * that holds someone's certificate but not their private key. With the right key the
 * same code completes the handshake and makes an HTTPS request, which shows that the key
 * is the only difference.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { connect, type Socket } from 'node:net';

export type RawTlsResult =
  /** The server sent a fatal alert (RFC 5246 §7.2); 51 is decrypt_error. */
  | { readonly kind: 'alert'; readonly level: number; readonly description: number; readonly stage: string }
  | { readonly kind: 'response'; readonly http: string; readonly cipherSuite: number }
  | { readonly kind: 'closed'; readonly stage: string };

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vec8 = (b: Buffer) => Buffer.concat([u8(b.length), b]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const vec24 = (b: Buffer) => Buffer.concat([u24(b.length), b]);
const record = (type: number, body: Buffer) => Buffer.concat([u8(type), u16(0x0303), u16(body.length), body]);
const handshake = (type: number, body: Buffer) => Buffer.concat([u8(type), vec24(body)]);

/** RFC 5246 §5: P_SHA256. */
function prf(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const s = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = s;
  let size = 0;
  while (size < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret)
      .update(Buffer.concat([a, s]))
      .digest();
    out.push(block);
    size += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

class Reader {
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #closed = false;
  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake();
    });
    const end = () => {
      this.#closed = true;
      this.#wake();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }
  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }
  /** The next record, or undefined when the connection closed. */
  async record(): Promise<{ type: number; body: Buffer } | undefined> {
    for (;;) {
      if (this.#buf.length >= 5) {
        const len = this.#buf.readUInt16BE(3);
        if (this.#buf.length >= 5 + len) {
          const r = { type: this.#buf[0], body: Buffer.from(this.#buf.subarray(5, 5 + len)) };
          this.#buf = this.#buf.subarray(5 + len);
          return r;
        }
      }
      if (this.#closed) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }
}

export interface RawTlsOptions {
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  /** DER certificates to present, end entity first. */
  readonly chain: readonly Buffer[];
  /** The key that signs CertificateVerify (need not match the certificate). */
  readonly key: KeyObject;
  /** The HTTP request to send once the handshake is done. */
  readonly request: string;
}

export async function rawTlsRequest(o: RawTlsOptions): Promise<RawTlsResult> {
  const socket = connect({ host: o.host, port: o.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const reader = new Reader(socket);
  const transcript: Buffer[] = [];
  const send = (b: Buffer) => socket.write(b);
  try {
    // ClientHello
    const clientRandom = randomBytes(32);
    const exts = Buffer.concat([
      Buffer.concat([u16(0x0000), vec16(vec16(Buffer.concat([u8(0), vec16(Buffer.from(o.servername, 'ascii'))])))]),
      Buffer.concat([u16(0x000a), vec16(vec16(u16(0x0017)))]), // supported_groups: secp256r1
      Buffer.concat([u16(0x000b), vec16(vec8(u8(0)))]), // ec_point_formats: uncompressed
      Buffer.concat([u16(0x000d), vec16(vec16(Buffer.concat([u16(0x0403), u16(0x0804), u16(0x0401)])))]), // signature_algorithms
      Buffer.concat([u16(0xff01), vec16(vec8(Buffer.alloc(0)))]), // renegotiation_info (RFC 5746)
    ]);
    const hello = handshake(
      1,
      Buffer.concat([
        u16(0x0303),
        clientRandom,
        vec8(Buffer.alloc(0)),
        vec16(Buffer.concat([u16(0xc02b), u16(0xc02f)])),
        vec8(u8(0)),
        vec16(exts),
      ]),
    );
    transcript.push(hello);
    send(record(22, hello));

    // Server flight up to ServerHelloDone.
    let serverRandom = Buffer.alloc(0);
    let suite = 0;
    let serverPoint = Buffer.alloc(0);
    let pending = Buffer.alloc(0);
    let done = false;
    while (!done) {
      const r = await reader.record();
      if (!r) return { kind: 'closed', stage: 'server hello' };
      if (r.type === 21) return { kind: 'alert', level: r.body[0], description: r.body[1], stage: 'server hello' };
      if (r.type !== 22) throw new Error(`unexpected record type ${r.type}`);
      pending = Buffer.concat([pending, r.body]);
      while (pending.length >= 4) {
        const len = pending.readUIntBE(1, 3);
        if (pending.length < 4 + len) break;
        const msg = pending.subarray(0, 4 + len);
        pending = pending.subarray(4 + len);
        transcript.push(Buffer.from(msg));
        const type = msg[0];
        const body = msg.subarray(4);
        if (type === 2) {
          serverRandom = Buffer.from(body.subarray(2, 34));
          const sidLen = body[34];
          suite = body.readUInt16BE(35 + sidLen);
        } else if (type === 12) {
          // ECParameters: named_curve (3), secp256r1 (23); then the point.
          if (body[0] !== 3 || body.readUInt16BE(1) !== 23) throw new Error('server chose another curve');
          serverPoint = Buffer.from(body.subarray(4, 4 + body[3]));
        } else if (type === 14) done = true;
      }
    }

    // Certificate, ClientKeyExchange, CertificateVerify.
    const certMsg = handshake(11, vec24(Buffer.concat(o.chain.map((c) => vec24(c)))));
    transcript.push(certMsg);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const cke = handshake(16, vec8(ecdh.getPublicKey()));
    transcript.push(cke);
    const isEc = o.key.asymmetricKeyType === 'ec';
    const signature = sign('sha256', Buffer.concat(transcript), o.key);
    const cv = handshake(15, Buffer.concat([u16(isEc ? 0x0403 : 0x0401), vec16(signature)]));
    transcript.push(cv);

    const pms = ecdh.computeSecret(serverPoint);
    const master = prf(pms, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
    const kb = prf(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 40);
    const [cKey, sKey, cIv, sIv] = [kb.subarray(0, 16), kb.subarray(16, 32), kb.subarray(32, 36), kb.subarray(36, 40)];
    let cSeq = 0n;
    let sSeq = 0n;
    const seqBytes = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(n);
      return b;
    };
    const encrypt = (type: number, plain: Buffer) => {
      const explicitNonce = seqBytes(cSeq);
      const c = createCipheriv('aes-128-gcm', cKey, Buffer.concat([cIv, explicitNonce]));
      c.setAAD(Buffer.concat([seqBytes(cSeq), u8(type), u16(0x0303), u16(plain.length)]));
      const out = Buffer.concat([explicitNonce, c.update(plain), c.final(), c.getAuthTag()]);
      cSeq++;
      return record(type, out);
    };
    const decrypt = (type: number, frag: Buffer) => {
      const explicitNonce = frag.subarray(0, 8);
      const ct = frag.subarray(8, frag.length - 16);
      const d = createDecipheriv('aes-128-gcm', sKey, Buffer.concat([sIv, explicitNonce]));
      d.setAAD(Buffer.concat([seqBytes(sSeq), u8(type), u16(0x0303), u16(ct.length)]));
      d.setAuthTag(frag.subarray(frag.length - 16));
      const p = Buffer.concat([d.update(ct), d.final()]);
      sSeq++;
      return p;
    };
    const verifyData = prf(
      master,
      'client finished',
      createHash('sha256').update(Buffer.concat(transcript)).digest(),
      12,
    );
    const finished = handshake(20, verifyData);
    send(
      Buffer.concat([record(22, certMsg), record(22, cke), record(22, cv), record(20, u8(1)), encrypt(22, finished)]),
    );
    transcript.push(finished);

    // The server's ChangeCipherSpec and Finished — or its alert.
    let encrypted = false;
    for (;;) {
      const r = await reader.record();
      if (!r) return { kind: 'closed', stage: 'client finished' };
      if (r.type === 21) {
        const a = encrypted ? decrypt(21, r.body) : r.body;
        return { kind: 'alert', level: a[0], description: a[1], stage: 'client certificate' };
      }
      if (r.type === 20) {
        encrypted = true;
        continue;
      }
      if (r.type === 22 && encrypted) {
        const msg = decrypt(22, r.body);
        const expected = prf(
          master,
          'server finished',
          createHash('sha256').update(Buffer.concat(transcript)).digest(),
          12,
        );
        if (msg[0] !== 20 || !msg.subarray(4).equals(expected)) throw new Error('the server Finished does not verify');
        break;
      }
      throw new Error(`unexpected record type ${r.type}`);
    }

    send(encrypt(23, Buffer.from(o.request, 'latin1')));
    let http = '';
    for (;;) {
      const r = await reader.record();
      if (!r) break;
      const p = decrypt(r.type, r.body);
      if (r.type === 23) http += p.toString('latin1');
      else if (r.type === 21) break;
    }
    return { kind: 'response', http, cipherSuite: suite };
  } finally {
    socket.destroy();
  }
}
