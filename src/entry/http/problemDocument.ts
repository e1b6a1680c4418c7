/**
 * The one place an error code becomes an HTTP status and an RFC 9457 problem document
 * (docs/development.md "Rules the code keeps" 2). The status of every code is its
 * `status` in src/errors/registry.ts; nothing else in Tessera reads it.
 *
 * Pure, and free of Fastify and of the CA's modules, so that the card agent, which runs
 * at the requester (src/client/README.md), answers with the same documents as the CA.
 *
 * 4xx details are the requester's own business and are shown; 5xx details stay in the log
 * unless the caller is the machine's own user (the card agent's CARD_* failures).
 */
import { errorRegistry, hresultText, type ErrorCode } from '../../errors/registry.js';
import { TesseraError } from '../../errors/TesseraError.js';

/** Extension members (RFC 9457 §3.2) a Tessera problem may carry. */
export interface ProblemExtensions {
  /** The request the refusal was recorded under (REST submit and approve). */
  readonly requestId?: number;
  readonly disposition?: string;
  /** The card a card agent failure is about. */
  readonly card?: { readonly label: string; readonly serial: string };
  /** What the card says about its PIN retry counter. */
  readonly pinTries?: 'low' | 'final';
}

export interface Problem extends ProblemExtensions {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly hresult: string;
}

export interface ProblemOptions extends ProblemExtensions {
  /** The detail to show instead of the error's own (a disposition message). */
  readonly detail?: string;
  /** Show the error's detail even for a 5xx status. */
  readonly exposeDetail?: boolean;
}

/** The HTTP status of a code: its registry entry. */
export function statusOf(code: ErrorCode): number {
  return errorRegistry[code].status;
}

/** The problem document for an error; its `status` is the status to answer with. */
export function problemOf(err: TesseraError, o: ProblemOptions = {}): Problem {
  const { detail, exposeDetail, ...extensions } = o;
  const status = statusOf(err.code);
  return {
    type: `urn:tessera:error:${err.code}`,
    title: err.message,
    status,
    detail: detail ?? ((status < 500 || exposeDetail) && err.detail ? err.detail : err.message),
    code: err.code,
    hresult: hresultText(err.code),
    ...extensions,
  };
}

/** Fastify's own request errors (body too large, unparsable or of the wrong type) as registry codes. */
export function fromFastifyError(e: unknown): TesseraError | undefined {
  if (e instanceof TesseraError) return e;
  const f = e as { statusCode?: number; code?: string; validation?: unknown; message?: string } | undefined;
  if (f?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new TesseraError('REQUEST_TOO_LARGE', f.message);
  const invalid =
    f?.validation ||
    f?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ||
    f?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (f?.statusCode === 400 && f?.code?.startsWith('FST_')) ||
    f?.statusCode === 415;
  return invalid ? new TesseraError('INPUT_INVALID', f?.message) : undefined;
}
