/**
 * The one error registry (ARCHITECTURE.md habit 4; the shape of fastify's lib/errors.js
 * and jose's JOSEErrorCode). Every failure Tessera reports has a stable string code
 * here, with:
 *  - `status`: the HTTP status the REST API answers with (entry/ is the only place
 *    that reads it);
 *  - `hresult` + `symbol`: what AD CS would report, so certsrv clients that parse
 *    `0x8009xxxx (-NNN SYMBOL)` keep working (research/certsrv.md §1.3.4, §1.9 item 10);
 *  - `disposition`: which certsrv result page a failure lands on (denied vs error);
 *  - `message`: the public, safe text. Details go to the log and audit trail only.
 *
 * docs/errors.md lists every code; a test checks the two against each other both ways.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly hresult: number;
  readonly symbol: string;
  readonly disposition: 'denied' | 'error';
  readonly message: string;
}

const spec = (
  status: number,
  hresult: number,
  symbol: string,
  disposition: 'denied' | 'error',
  message: string,
): ErrorSpec => ({ status, hresult, symbol, disposition, message });

export const errorRegistry = {
  // --- decoding a request (entry/, x509/) -------------------------------------------
  REQUEST_EMPTY: spec(400, 0x80093004, 'OSS_MORE_INPUT', 'denied', 'The certificate request is empty.'),
  REQUEST_TOO_LARGE: spec(413, 0x80094007, 'CERTSRV_E_ENCODING_LENGTH', 'denied', 'The certificate request is larger than the server accepts.'),
  REQUEST_MALFORMED: spec(400, 0x8009310b, 'CRYPT_E_ASN1_BADTAG', 'denied', 'Error Parsing Request: the certificate request is not valid DER, PEM or base64.'),
  REQUEST_TOO_DEEP: spec(400, 0x80093005, 'OSS_DATA_ERROR', 'denied', 'Error Parsing Request: the certificate request nests ASN.1 structures deeper than allowed.'),
  REQUEST_NOT_DER: spec(400, 0x80093005, 'OSS_DATA_ERROR', 'denied', 'Error Parsing Request: the certificate request is not in distinguished encoding (DER).'),
  REQUEST_FORMAT_UNSUPPORTED: spec(400, 0x80093005, 'OSS_DATA_ERROR', 'denied', 'The request format is not supported (CRMF and other non-PKCS#10 requests are not accepted).'),
  CSR_BAD_SIGNATURE: spec(400, 0x80090006, 'NTE_BAD_SIGNATURE', 'denied', 'The certificate request signature does not match the public key in the request.'),
  CSR_DUPLICATE_EXTENSION: spec(400, 0x80093005, 'OSS_DATA_ERROR', 'denied', 'The certificate request contains the same extension more than once.'),
  CSR_INVALID_EXTENSION: spec(400, 0x80093005, 'OSS_DATA_ERROR', 'denied', 'The certificate request contains an extension that is empty or not validly encoded.'),
  KEY_ALGORITHM_UNSUPPORTED: spec(400, 0x80090008, 'NTE_BAD_ALGID', 'denied', 'The public key algorithm in the request is not supported.'),
  KEY_EC_EXPLICIT_PARAMETERS: spec(400, 0x80090008, 'NTE_BAD_ALGID', 'denied', 'The request uses explicit elliptic curve parameters; only named curves are accepted.'),
  KEY_TOO_SMALL: spec(400, 0x80094811, 'CERTSRV_E_KEY_LENGTH', 'denied', 'The public key does not meet the minimum size required by the certificate template.'),
  KEY_NOT_ALLOWED: spec(400, 0x80094811, 'CERTSRV_E_KEY_LENGTH', 'denied', 'The public key algorithm or curve is not allowed by the certificate template.'),
  SIGNATURE_ALGORITHM_UNSUPPORTED: spec(400, 0x80090008, 'NTE_BAD_ALGID', 'denied', 'The request is signed with an algorithm that is not supported.'),
  KEY_SPEC_MISMATCH: spec(400, 0x8009000b, 'NTE_BAD_KEY_STATE', 'denied', 'The key specification (Exchange/Signature) in the request does not match the certificate template.'),
  PROVIDER_NOT_ALLOWED: spec(400, 0x80094802, 'CERTSRV_E_TEMPLATE_CONFLICT', 'denied', 'The cryptographic provider named in the request is not allowed by the certificate template.'),

  // --- templates and policy (policy/) ---------------------------------------------------
  TEMPLATE_MISSING: spec(400, 0x80094801, 'CERTSRV_E_NO_CERT_TYPE', 'denied', 'The certificate request contains no certificate template information.'),
  TEMPLATE_UNKNOWN: spec(400, 0x80094800, 'CERTSRV_E_UNSUPPORTED_CERT_TYPE', 'denied', 'The request was for a certificate template that is not supported by the Tessera policy.'),
  ENROLL_DENIED: spec(403, 0x80094012, 'CERTSRV_E_TEMPLATE_DENIED', 'denied', 'The permissions on the certificate template do not allow the current user to enroll for this type of certificate.'),
  USER_DISABLED: spec(403, 0x80070533, 'ERROR_ACCOUNT_DISABLED', 'denied', 'The account is disabled.'),
  USER_UNKNOWN: spec(404, 0x80070525, 'ERROR_NO_SUCH_USER', 'denied', 'The user does not exist in the directory.'),
  NAME_NOT_ALLOWED: spec(400, 0x80094001, 'CERTSRV_E_BAD_REQUESTSUBJECT', 'denied', 'Subject names are set by the CA from the directory; the request asked for a name that does not belong to the requester.'),
  DIRECTORY_UPN_MISSING: spec(400, 0x8009480d, 'CERTSRV_E_SUBJECT_UPN_REQUIRED', 'denied', 'The directory record has no user principal name, which the certificate template requires.'),
  DIRECTORY_EMAIL_MISSING: spec(400, 0x80094812, 'CERTSRV_E_SUBJECT_EMAIL_REQUIRED', 'denied', 'The directory record has no e-mail address, which the certificate template requires.'),
  NAME_NOT_UNIQUE: spec(400, 0x80094001, 'CERTSRV_E_BAD_REQUESTSUBJECT', 'denied', 'A name the certificate would carry belongs to more than one directory account, so it cannot identify this user.'),
  DIRECTORY_SID_MISSING: spec(400, 0x8009480e, 'CERTSRV_E_SUBJECT_DIRECTORY_GUID_REQUIRED', 'denied', 'The directory record has no security identifier (SID), which the certificate template requires.'),
  SIGNATURES_REQUIRED: spec(400, 0x8009480a, 'CERTSRV_E_SIGNATURE_COUNT', 'denied', 'The certificate template requires enrollment agent signatures that the request does not carry.'),

  // --- approvals and lookups (ra/) -------------------------------------------------------
  REQUEST_NOT_FOUND: spec(404, 0x80094004, 'CERTSRV_E_PROPERTY_EMPTY', 'error', 'The requested property value is empty: there is no request with this ID.'),
  REQUEST_NOT_PENDING: spec(409, 0x80094003, 'CERTSRV_E_BAD_REQUESTSTATUS', 'error', 'The request is not pending, so it cannot be approved or denied.'),
  DENIED_BY_MANAGER: spec(403, 0x80094014, 'CERTSRV_E_ADMIN_DENIED_REQUEST', 'denied', 'The request was denied by a certificate manager.'),
  APPROVAL_CONFLICT: spec(403, 0x80094009, 'CERTSRV_E_RESTRICTEDOFFICER', 'error', 'A certificate manager cannot approve or deny a request they submitted or that is for themselves.'),
  CERT_NOT_FOUND: spec(404, 0x80094004, 'CERTSRV_E_PROPERTY_EMPTY', 'error', 'There is no certificate with this serial number.'),

  // --- authentication and authorization (entry/, directory/) ------------------------------
  AUTH_REQUIRED: spec(401, 0x80070005, 'E_ACCESSDENIED', 'error', 'Authentication is required.'),
  AUTH_FAILED: spec(401, 0x8007052e, 'ERROR_LOGON_FAILURE', 'error', 'The user name or password is incorrect.'),
  FORBIDDEN: spec(403, 0x80070005, 'E_ACCESSDENIED', 'error', 'You are not allowed to do this.'),
  RATE_LIMITED: spec(429, 0x800705b4, 'ERROR_TIMEOUT', 'error', 'Too many requests; try again later.'),

  // --- administration (cli, api) ------------------------------------------------------------
  INPUT_INVALID: spec(400, 0x80070057, 'E_INVALIDARG', 'error', 'The input is not valid.'),
  TEMPLATE_INVALID: spec(400, 0x80070057, 'E_INVALIDARG', 'error', 'The certificate template is not valid.'),
  ALREADY_EXISTS: spec(409, 0x800700b7, 'ERROR_ALREADY_EXISTS', 'error', 'An object with this name already exists.'),
  NOT_FOUND: spec(404, 0x80070002, 'ERROR_FILE_NOT_FOUND', 'error', 'The object does not exist.'),

  // --- configuration and infrastructure ------------------------------------------------------
  CONFIG_INVALID: spec(500, 0x8007000d, 'ERROR_INVALID_DATA', 'error', 'The Tessera configuration is not valid.'),
  CA_KEY_UNAVAILABLE: spec(503, 0x8009000d, 'NTE_NO_KEY', 'error', 'The CA signing key is not available.'),
  STORAGE_UNAVAILABLE: spec(503, 0x8009400f, 'CERTSRV_E_NO_DB_SESSIONS', 'error', 'The certificate database is unavailable; nothing was changed. Try again later.'),
  STORAGE_FULL: spec(507, 0x80070070, 'ERROR_DISK_FULL', 'error', 'The certificate database has no space left; nothing was changed.'),
  DIRECTORY_UNAVAILABLE: spec(503, 0x8007203a, 'ERROR_DS_SERVER_DOWN', 'error', 'The directory is unavailable; nothing was changed. Try again later.'),
  AUDIT_CHAIN_BROKEN: spec(500, 0x8007000d, 'ERROR_INVALID_DATA', 'error', 'The audit log failed verification.'),
  INTERNAL: spec(500, 0x8000ffff, 'E_UNEXPECTED', 'error', 'An unexpected error occurred; it has been logged.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorRegistry;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(errorRegistry, code);
}

/** `0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)`, the CR_GEMT_HRESULT_STRING shape. */
export function hresultText(code: ErrorCode): string {
  const { hresult, symbol } = errorRegistry[code];
  const signed = hresult | 0;
  return `0x${(hresult >>> 0).toString(16).padStart(8, '0')} (${signed} ${symbol})`;
}
