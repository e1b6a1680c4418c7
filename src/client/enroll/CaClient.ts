/**
 * The client side of Tessera's REST enrollment API (`POST /api/v1/requests`,
 * `GET /api/v1/requests/{id}`), over HTTPS with HTTP Basic authentication. The server's
 * certificate is verified against the CA certificates given (`--ca-cert`, Tessera's root
 * or chain) or the system store; verification is never turned off. Only the user's
 * directory password travels to the server — a card PIN never does (it is not an input
 * of this class).
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { isErrorCode, type ErrorCode } from '../../errors/registry.js';
import { TesseraError } from '../../errors/TesseraError.js';
import { pemBlocks, toPem } from '../../x509/pem.js';

export interface EnrollResponse {
  readonly requestId: number;
  readonly disposition: 'issued' | 'pending' | 'denied' | 'failed' | 'issuing' | 'revoked';
  readonly message: string;
  /** The registry code of a denial or failure. */
  readonly code?: string;
  readonly serial?: string;
  /** PEM. */
  readonly certificate?: string;
  readonly chain?: readonly string[];
}

/** What `GET /api/v1/templates` says about one template (entry/http/api/views.ts templateSummary). */
export interface TemplateSummary {
  readonly name: string;
  readonly displayName: string;
  readonly keySpec: 'exchange' | 'signature' | 'both';
  readonly managerApproval: boolean;
  readonly agentSignatures: number;
}

/** A refusal from the server: the registry code it sent, and the request ID when one was recorded. */
export class ServerRefusal extends TesseraError {
  constructor(
    code: string,
    detail: string,
    readonly status: number,
    readonly requestId: number | undefined,
  ) {
    super(isErrorCode(code) ? code : ('INTERNAL' as ErrorCode), isErrorCode(code) ? detail : `${code}: ${detail}`);
  }
}

const TLS_TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** PEM or DER CA certificate files' contents → PEM strings for `ca`. */
export function caBundle(files: readonly Buffer[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const text = f.toString('latin1');
    if (text.includes('-----BEGIN CERTIFICATE-----'))
      out.push(...pemBlocks(text, 'CERTIFICATE').map((d) => toPem(d, 'CERTIFICATE')));
    else out.push(toPem(f, 'CERTIFICATE'));
  }
  return out;
}

export class CaClient {
  readonly #base: URL;
  readonly #auth: string;
  readonly #ca: string[] | undefined;

  constructor(server: string, user: string, password: string, caCertificates?: readonly Buffer[]) {
    let base: URL;
    try {
      base = new URL(server.endsWith('/') ? server : `${server}/`);
    } catch {
      throw new TesseraError('INPUT_INVALID', `--server ${server}: an https:// URL`);
    }
    if (base.protocol !== 'https:')
      throw new TesseraError('INPUT_INVALID', `--server ${server}: must be https:// (the password goes over it)`);
    this.#base = base;
    this.#auth = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
    this.#ca = caCertificates?.length ? caBundle(caCertificates) : undefined;
  }

  submit(body: { csr: string; template: string; attributes?: Record<string, string> }): Promise<EnrollResponse> {
    return this.#call('POST', 'api/v1/requests', body);
  }

  get(requestId: number): Promise<EnrollResponse> {
    return this.#call('GET', `api/v1/requests/${encodeURIComponent(String(requestId))}`);
  }

  /**
   * The templates this user may enroll for (`GET /api/v1/templates`), as CertEnroll reads
   * them from the directory before building a request: the key spec decides the
   * AT_KEYEXCHANGE / AT_SIGNATURE value the request's CSP attribute carries.
   */
  async templates(): Promise<TemplateSummary[]> {
    const json = await this.#call('GET', 'api/v1/templates', undefined, (j) => Array.isArray(j.templates));
    return (json as unknown as { templates: TemplateSummary[] }).templates;
  }

  #call(
    method: string,
    path: string,
    body?: unknown,
    accept?: (json: Record<string, unknown>) => boolean,
  ): Promise<EnrollResponse> {
    const url = new URL(path, this.#base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        {
          method,
          headers: {
            authorization: this.#auth,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
          ca: this.#ca,
          timeout: 60_000,
        },
        (res) =>
          collect(res).then((text) => {
            try {
              resolve(interpret(res, text, url, accept));
            } catch (e) {
              reject(e);
            }
          }, reject),
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code && TLS_TRUST_ERRORS.has(e.code))
          reject(new TesseraError('SERVER_UNTRUSTED', `${url.origin}: ${e.code} (${e.message})`));
        else reject(new TesseraError('SERVER_UNREACHABLE', `${url.origin}: ${e.code ?? e.message}`));
      });
      req.end(payload);
    });
  }
}

function collect(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function interpret(
  res: IncomingMessage,
  text: string,
  url: URL,
  accept?: (json: Record<string, unknown>) => boolean,
): EnrollResponse {
  const status = res.statusCode ?? 0;
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new TesseraError('SERVER_UNREACHABLE', `${url.origin} answered ${status} with a body that is not JSON`);
  }
  if (accept && status === 200) {
    if (!accept(json))
      throw new TesseraError('SERVER_UNREACHABLE', `${url.origin} answered ${status} with a body of the wrong shape`);
    return json as unknown as EnrollResponse;
  }
  if (status === 200 || status === 201 || status === 202) {
    if (typeof json.requestId !== 'number' || typeof json.disposition !== 'string')
      throw new TesseraError(
        'SERVER_UNREACHABLE',
        `${url.origin} answered ${status} without requestId and disposition`,
      );
    return json as unknown as EnrollResponse;
  }
  const code = typeof json.code === 'string' ? json.code : 'INTERNAL';
  const detail =
    typeof json.detail === 'string' ? json.detail : typeof json.title === 'string' ? json.title : `HTTP ${status}`;
  throw new ServerRefusal(code, detail, status, typeof json.requestId === 'number' ? json.requestId : undefined);
}
