/**
 * The one error registry (docs/development.md "Rules the code keeps" 4; the shape of fastify's lib/errors.js
 * and jose's JOSEErrorCode). Every failure Tessera reports has a stable string code
 * here, with:
 *  - `status`: the HTTP status the REST API answers with (entry/ is the only place
 *    that reads it);
 *  - `hresult` + `symbol`: what AD CS would report, so certsrv clients that parse
 *    `0x8009xxxx (-NNN SYMBOL)` keep working (docs/certsrv.md §5 item 10);
 *  - `disposition`: which certsrv result page a failure lands on (denied vs error);
 *  - `message`: the public, safe text. Details go to the log and audit trail only.
 *
 * docs/errors.md lists every code; a test checks the two against each other both ways.
 */
import { hresultHex, hresultString } from './hresult.js';

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
  REQUEST_TOO_LARGE: spec(
    413,
    0x80094007,
    'CERTSRV_E_ENCODING_LENGTH',
    'denied',
    'The certificate request is larger than the server accepts.',
  ),
  REQUEST_MALFORMED: spec(
    400,
    0x8009310b,
    'CRYPT_E_ASN1_BADTAG',
    'denied',
    'Error Parsing Request: the certificate request is not valid DER, PEM or base64.',
  ),
  REQUEST_TOO_DEEP: spec(
    400,
    0x80093005,
    'OSS_DATA_ERROR',
    'denied',
    'Error Parsing Request: the certificate request nests ASN.1 structures deeper than allowed.',
  ),
  REQUEST_NOT_DER: spec(
    400,
    0x80093005,
    'OSS_DATA_ERROR',
    'denied',
    'Error Parsing Request: the certificate request is not in distinguished encoding (DER).',
  ),
  REQUEST_FORMAT_UNSUPPORTED: spec(
    400,
    0x80093005,
    'OSS_DATA_ERROR',
    'denied',
    'The request format is not supported (CRMF and other non-PKCS#10 requests are not accepted).',
  ),
  CSR_BAD_SIGNATURE: spec(
    400,
    0x80090006,
    'NTE_BAD_SIGNATURE',
    'denied',
    'The certificate request signature does not match the public key in the request.',
  ),
  CSR_DUPLICATE_EXTENSION: spec(
    400,
    0x80093005,
    'OSS_DATA_ERROR',
    'denied',
    'The certificate request contains the same extension more than once.',
  ),
  CSR_INVALID_EXTENSION: spec(
    400,
    0x80093005,
    'OSS_DATA_ERROR',
    'denied',
    'The certificate request contains an extension that is empty or not validly encoded.',
  ),
  KEY_ALGORITHM_UNSUPPORTED: spec(
    400,
    0x80090008,
    'NTE_BAD_ALGID',
    'denied',
    'The public key algorithm in the request is not supported.',
  ),
  KEY_EC_EXPLICIT_PARAMETERS: spec(
    400,
    0x80090008,
    'NTE_BAD_ALGID',
    'denied',
    'The request uses explicit elliptic curve parameters; only named curves are accepted.',
  ),
  KEY_TOO_SMALL: spec(
    400,
    0x80094811,
    'CERTSRV_E_KEY_LENGTH',
    'denied',
    'The public key does not meet the minimum size required by the certificate template.',
  ),
  KEY_NOT_ALLOWED: spec(
    400,
    0x80094811,
    'CERTSRV_E_KEY_LENGTH',
    'denied',
    'The public key algorithm or curve is not allowed by the certificate template.',
  ),
  SIGNATURE_ALGORITHM_UNSUPPORTED: spec(
    400,
    0x80090008,
    'NTE_BAD_ALGID',
    'denied',
    'The request is signed with an algorithm that is not supported.',
  ),
  KEY_SPEC_MISMATCH: spec(
    400,
    0x8009000b,
    'NTE_BAD_KEY_STATE',
    'denied',
    'The key specification (Exchange/Signature) in the request does not match the certificate template.',
  ),
  PROVIDER_NOT_ALLOWED: spec(
    400,
    0x80094802,
    'CERTSRV_E_TEMPLATE_CONFLICT',
    'denied',
    'The cryptographic provider named in the request is not allowed by the certificate template.',
  ),

  // --- templates and policy (policy/) ---------------------------------------------------
  TEMPLATE_MISSING: spec(
    400,
    0x80094801,
    'CERTSRV_E_NO_CERT_TYPE',
    'denied',
    'The certificate request contains no certificate template information.',
  ),
  TEMPLATE_UNKNOWN: spec(
    400,
    0x80094800,
    'CERTSRV_E_UNSUPPORTED_CERT_TYPE',
    'denied',
    'The request was for a certificate template that is not supported by the Tessera policy.',
  ),
  ENROLL_DENIED: spec(
    403,
    0x80094012,
    'CERTSRV_E_TEMPLATE_DENIED',
    'denied',
    'The permissions on the certificate template do not allow the current user to enroll for this type of certificate.',
  ),
  USER_DISABLED: spec(403, 0x80070533, 'ERROR_ACCOUNT_DISABLED', 'denied', 'The account is disabled.'),
  USER_UNKNOWN: spec(404, 0x80070525, 'ERROR_NO_SUCH_USER', 'denied', 'The user does not exist in the directory.'),
  NAME_NOT_ALLOWED: spec(
    400,
    0x80094001,
    'CERTSRV_E_BAD_REQUESTSUBJECT',
    'denied',
    'Subject names are set by the CA from the directory; the ' +
      'request asked for a name that does not belong to the requester.',
  ),
  NAME_INVALID: spec(
    400,
    0x80094001,
    'CERTSRV_E_BAD_REQUESTSUBJECT',
    'denied',
    'A host name in the request is not a valid DNS name or IP address.',
  ),
  DIRECTORY_UPN_MISSING: spec(
    400,
    0x8009480d,
    'CERTSRV_E_SUBJECT_UPN_REQUIRED',
    'denied',
    'The directory record has no user principal name, which the certificate template requires.',
  ),
  DIRECTORY_EMAIL_MISSING: spec(
    400,
    0x80094812,
    'CERTSRV_E_SUBJECT_EMAIL_REQUIRED',
    'denied',
    'The directory record has no e-mail address, which the certificate template requires.',
  ),
  NAME_NOT_UNIQUE: spec(
    400,
    0x80094001,
    'CERTSRV_E_BAD_REQUESTSUBJECT',
    'denied',
    'A name the certificate would carry belongs to more than one directory account, so it cannot identify this user.',
  ),
  DIRECTORY_SID_MISSING: spec(
    400,
    0x8009480e,
    'CERTSRV_E_SUBJECT_DIRECTORY_GUID_REQUIRED',
    'denied',
    'The directory record has no security identifier (SID), which the certificate template requires.',
  ),
  SIGNATURES_REQUIRED: spec(
    400,
    0x8009480a,
    'CERTSRV_E_SIGNATURE_COUNT',
    'denied',
    'The certificate template requires enrollment agent signatures that the request does not carry.',
  ),

  // --- approvals and lookups (ra/) -------------------------------------------------------
  REQUEST_NOT_FOUND: spec(
    404,
    0x80094004,
    'CERTSRV_E_PROPERTY_EMPTY',
    'error',
    'The requested property value is empty: there is no request with this ID.',
  ),
  REQUEST_NOT_PENDING: spec(
    409,
    0x80094003,
    'CERTSRV_E_BAD_REQUESTSTATUS',
    'error',
    'The request is not pending, so it cannot be approved or denied.',
  ),
  DENIED_BY_MANAGER: spec(
    403,
    0x80094014,
    'CERTSRV_E_ADMIN_DENIED_REQUEST',
    'denied',
    'The request was denied by a certificate manager.',
  ),
  APPROVAL_CONFLICT: spec(
    403,
    0x80094009,
    'CERTSRV_E_RESTRICTEDOFFICER',
    'error',
    'A certificate manager cannot approve or deny a request they submitted or that is for themselves.',
  ),
  ROLE_CONFLICT: spec(
    403,
    0x80094008,
    'CERTSRV_E_ROLECONFLICT',
    'error',
    'Role separation: one account cannot be both a CA administrator and a certificate manager.',
  ),
  CERT_NOT_FOUND: spec(
    404,
    0x80094004,
    'CERTSRV_E_PROPERTY_EMPTY',
    'error',
    'There is no certificate with this serial number.',
  ),

  // --- authentication and authorization (entry/, directory/) ------------------------------
  AUTH_REQUIRED: spec(401, 0x80070005, 'E_ACCESSDENIED', 'error', 'Authentication is required.'),
  AUTH_FAILED: spec(401, 0x8007052e, 'ERROR_LOGON_FAILURE', 'error', 'The user name or password is incorrect.'),
  FORBIDDEN: spec(403, 0x80070005, 'E_ACCESSDENIED', 'error', 'You are not allowed to do this.'),
  CSRF_TOKEN_INVALID: spec(
    403,
    0x80070005,
    'E_ACCESSDENIED',
    'error',
    'The form or request did not carry this session’s anti-forgery token; reload the page and try again.',
  ),
  CROSS_SITE_REFUSED: spec(
    403,
    0x80070005,
    'E_ACCESSDENIED',
    'error',
    'The request came from another site and was refused; submit it from this site’s own pages.',
  ),
  SESSION_EXPIRED: spec(401, 0x80070005, 'E_ACCESSDENIED', 'error', 'Your session has expired; sign in again.'),
  RATE_LIMITED: spec(429, 0x800705b4, 'ERROR_TIMEOUT', 'error', 'Too many requests; try again later.'),

  // --- administration (cli, api) ------------------------------------------------------------
  INPUT_INVALID: spec(400, 0x80070057, 'E_INVALIDARG', 'error', 'The input is not valid.'),
  UNSUPPORTED_MEDIA_TYPE: spec(
    415,
    0x80070057,
    'E_INVALIDARG',
    'error',
    'The request body is not of a media type this endpoint accepts.',
  ),
  TEMPLATE_INVALID: spec(400, 0x80070057, 'E_INVALIDARG', 'error', 'The certificate template is not valid.'),
  ALREADY_EXISTS: spec(409, 0x800700b7, 'ERROR_ALREADY_EXISTS', 'error', 'An object with this name already exists.'),
  NOT_FOUND: spec(404, 0x80070002, 'ERROR_FILE_NOT_FOUND', 'error', 'The object does not exist.'),

  // --- command line files (entry/cli) -----------------------------------------------------------
  FILE_NOT_READABLE: spec(400, 0x80070002, 'ERROR_FILE_NOT_FOUND', 'error', 'The input file cannot be read.'),
  FILE_NOT_WRITABLE: spec(500, 0x8007001d, 'ERROR_WRITE_FAULT', 'error', 'The output file cannot be written.'),

  // --- smart cards, the card agent and the enrollment client (card/) -------------------------
  // HRESULTs are the SCardErr.h codes the certsrv page showed for the same conditions
  // (learn.microsoft.com "Smart Card Return Values"; docs/certsrv.md §8). Details always name
  // the card (label, serial).
  CARD_MODULE_UNAVAILABLE: spec(
    503,
    0x8010001d,
    'SCARD_E_NO_SERVICE',
    'error',
    'The PKCS#11 module for smart cards cannot be loaded.',
  ),
  CARD_NOT_FOUND: spec(
    404,
    0x8010000c,
    'SCARD_E_NO_SMARTCARD',
    'error',
    'The smart card is not present. Insert the smart card and try again.',
  ),
  CARD_AMBIGUOUS: spec(
    409,
    0x8010000c,
    'SCARD_E_NO_SMARTCARD',
    'error',
    'More than one smart card matches; choose the card by its serial number.',
  ),
  CARD_REMOVED: spec(
    409,
    0x80100069,
    'SCARD_W_REMOVED_CARD',
    'error',
    'The smart card was removed during the operation. Insert it and start again.',
  ),
  CARD_PIN_INCORRECT: spec(403, 0x8010006b, 'SCARD_W_WRONG_CHV', 'error', 'The smart card PIN is incorrect.'),
  CARD_PIN_LOCKED: spec(
    423,
    0x8010006c,
    'SCARD_W_CHV_BLOCKED',
    'error',
    'The smart card PIN is locked. Unblock it with the card administrator key (tessera card unblock).',
  ),
  CARD_PIN_INVALID: spec(
    400,
    0x8010002a,
    'SCARD_E_INVALID_CHV',
    'error',
    "The new PIN does not meet the smart card's rules (length or characters).",
  ),
  CARD_PIN_CHANGE_REQUIRED: spec(
    403,
    0x8010006f,
    'SCARD_W_CARD_NOT_AUTHENTICATED',
    'error',
    'The smart card PIN must be changed before the card is used (tessera card change-pin).',
  ),
  CARD_KEY_NOT_FOUND: spec(
    404,
    0x80100030,
    'SCARD_E_NO_KEY_CONTAINER',
    'error',
    'The smart card holds no private key for this certificate or operation.',
  ),
  CARD_KEY_HAS_CERTIFICATE: spec(
    409,
    0x80090010,
    'NTE_PERM',
    'error',
    'The key on the smart card has a certificate; it is removed only ' +
      'together with its certificate, when that is asked for explicitly.',
  ),
  CARD_NO_AGENT_CERTIFICATE: spec(
    404,
    0x8010002c,
    'SCARD_E_NO_SUCH_CERTIFICATE',
    'error',
    'The smart card holds no valid enrollment agent certificate with its private key.',
  ),
  CARD_OPERATION_UNSUPPORTED: spec(
    400,
    0x80100022,
    'SCARD_E_UNSUPPORTED_FEATURE',
    'error',
    'The smart card or its PKCS#11 module does not support this operation.',
  ),
  CARD_CANCELLED: spec(
    409,
    0x8010006e,
    'SCARD_W_CANCELLED_BY_USER',
    'error',
    'The smart card operation was cancelled.',
  ),
  CARD_ERROR: spec(502, 0x80100001, 'SCARD_F_INTERNAL_ERROR', 'error', 'The smart card reported an error.'),
  CARD_AGENT_ORIGIN_REFUSED: spec(
    403,
    0x80070005,
    'E_ACCESSDENIED',
    'error',
    'The card agent does not answer this web site; only the configured CA sites may use it.',
  ),
  CARD_AGENT_SESSION_UNKNOWN: spec(
    404,
    0x8009000b,
    'NTE_BAD_KEY_STATE',
    'error',
    'The card operation expired or does not exist; start the request again.',
  ),
  CARD_AGENT_REQUEST_REFUSED: spec(
    400,
    0x80090009,
    'NTE_BAD_FLAGS',
    'error',
    'The card agent only signs certificate requests for the key generated in the same operation.',
  ),
  CARD_AGENT_PIN_THROTTLED: spec(
    429,
    0x8010006c,
    'SCARD_W_CHV_BLOCKED',
    'error',
    'The card agent stopped accepting PINs for this card after ' +
      'too many wrong attempts; restart the card agent to try again.',
  ),
  SERVER_UNREACHABLE: spec(
    503,
    0x80072efd,
    'WININET_E_CANNOT_CONNECT',
    'error',
    'The certificate authority server cannot be reached.',
  ),
  SERVER_UNTRUSTED: spec(
    502,
    0x800b0109,
    'CERT_E_UNTRUSTEDROOT',
    'error',
    "The certificate authority server's TLS certificate is not " +
      'trusted; pass the Tessera CA certificate with --ca-cert.',
  ),

  // --- CMC requests and enrollment agents (x509/cmc, ra/agentEvidence) ---------------------
  // RFC 5272/5273 CMC and the Windows PKCS#7 enroll-on-behalf form (docs/certsrv.md §7).
  CMC_UNSIGNED: spec(
    400,
    0x8009100e,
    'CRYPT_E_SIGNER_NOT_FOUND',
    'denied',
    'The CMC or PKCS #7 request is not signed; a full PKI request must carry at least one signature (RFC 5272 §3.2).',
  ),
  CMC_SIGNER_UNKNOWN: spec(
    400,
    0x8009100e,
    'CRYPT_E_SIGNER_NOT_FOUND',
    'denied',
    'A signature in the request names a certificate that the request does not carry and that is not the request key.',
  ),
  CMC_POP_INVALID: spec(
    400,
    0x80090006,
    'NTE_BAD_SIGNATURE',
    'denied',
    'The proof-of-possession signature made with the request key does not verify.',
  ),
  CMC_NO_REQUEST: spec(
    400,
    0x80091004,
    'CRYPT_E_INVALID_MSG_TYPE',
    'denied',
    'The CMC request carries no certification request.',
  ),
  CMC_MULTIPLE_REQUESTS: spec(
    400,
    0x80091004,
    'CRYPT_E_INVALID_MSG_TYPE',
    'denied',
    'The CMC request carries more than one certification request; submit one request per message.',
  ),
  CMC_CRMF_UNSUPPORTED: spec(
    400,
    0x80091004,
    'CRYPT_E_INVALID_MSG_TYPE',
    'denied',
    'CRMF (RFC 4211) and other non-PKCS #10 requests inside CMC are not supported; send a PKCS #10 request.',
  ),
  CMC_NESTED_UNSUPPORTED: spec(
    400,
    0x80091004,
    'CRYPT_E_INVALID_MSG_TYPE',
    'denied',
    'Nested CMC content (cmsSequence) and other messages (otherMsgSequence) are not supported.',
  ),
  CMC_CONTROL_UNSUPPORTED: spec(
    400,
    0x80091004,
    'CRYPT_E_INVALID_MSG_TYPE',
    'denied',
    'The CMC request carries a control that Tessera does not ' +
      'support; RFC 5272 §3.2.1.2 requires refusing the whole request.',
  ),
  CMC_SIGNED_DATA_INVALID: spec(
    400,
    0x80091001,
    'CRYPT_E_MSG_ERROR',
    'denied',
    'The CMC or PKCS #7 request breaks the SignedData syntax (RFC 5652): a ' +
      'version or the digest algorithm list does not match what it contains.',
  ),
  AGENT_SIGNATURE_INVALID: spec(
    400,
    0x80090006,
    'NTE_BAD_SIGNATURE',
    'denied',
    'An enrollment agent signature on the request does not verify.',
  ),
  AGENT_CERT_UNTRUSTED: spec(
    403,
    0x800b010a,
    'CERT_E_CHAINING',
    'denied',
    'The enrollment agent certificate was not issued by this certificate authority.',
  ),
  AGENT_CERT_EXPIRED: spec(
    403,
    0x800b0101,
    'CERT_E_EXPIRED',
    'denied',
    'The enrollment agent certificate is expired or not yet valid.',
  ),
  AGENT_CERT_REVOKED: spec(
    403,
    0x80092010,
    'CRYPT_E_REVOKED',
    'denied',
    'The enrollment agent certificate is revoked.',
  ),
  AGENT_EKU_MISSING: spec(
    403,
    0x80094809,
    'CERTSRV_E_SIGNATURE_POLICY_REQUIRED',
    'denied',
    'The enrollment agent certificate does not carry the application ' +
      'policy the certificate template requires (Certificate Request Agent).',
  ),
  AGENT_NOT_PERMITTED: spec(
    403,
    0x80094011,
    'CERTSRV_E_ENROLL_DENIED',
    'denied',
    'The enrollment agent restrictions do not allow this agent to enroll this user for this certificate template.',
  ),
  PRIVILEGED_TARGET: spec(
    403,
    0x80094011,
    'CERTSRV_E_ENROLL_DENIED',
    'denied',
    'The target user is a member of a privileged group; enrollment agents ' +
      'may enroll such users only under an explicit exception that names them.',
  ),

  // --- revocation: CRLs and OCSP (ca/crl, ca/ocsp, ra/publishCrl) -------------------------------
  // OCSP protocol errors are not thrown: they are OCSPResponseStatus answers (RFC 6960 §4.2.1).
  CRL_NOT_PUBLISHED: spec(
    404,
    0x80092004,
    'CRYPT_E_NOT_FOUND',
    'error',
    'No CRL of this kind has been published for this CA yet.',
  ),
  CRL_BASE_MISSING: spec(
    409,
    0x80092004,
    'CRYPT_E_NOT_FOUND',
    'error',
    'A delta CRL needs a published full CRL as its base; publish a full CRL first.',
  ),
  CRL_DELTA_UNSUPPORTED: spec(
    400,
    0x80070057,
    'E_INVALIDARG',
    'error',
    'This CA does not publish delta CRLs (only the online issuing CA does).',
  ),
  CRL_PUBLISH_BUSY: spec(
    503,
    0x800700aa,
    'ERROR_BUSY',
    'error',
    "Another node is publishing this CA's CRL; try again shortly.",
  ),
  CRL_SIGNATURE_INVALID: spec(
    500,
    0x80096004,
    'TRUST_E_CERT_SIGNATURE',
    'error',
    'The CRL signature did not verify with the CA certificate; nothing was published.',
  ),
  OCSP_SIGNER_UNAVAILABLE: spec(
    503,
    0x8009000d,
    'NTE_NO_KEY',
    'error',
    'The OCSP responder signing certificate is not available.',
  ),

  // --- smart card sign-in, the relying party (signin/, entry/http/signin) ---------------------
  // One generic refusal (SIGNIN_REFUSED) goes to the client; the precise reason below is the
  // failed check's code on the "Test my smart card" page, in the audit record and the log.
  SIGNIN_REFUSED: spec(403, 0x8009030c, 'SEC_E_LOGON_DENIED', 'denied', 'Smart card sign-in was refused.'),
  SIGNIN_CERT_MISSING: spec(
    401,
    0x8009030e,
    'SEC_E_NO_CREDENTIALS',
    'denied',
    'No client certificate was presented; insert your smart card and choose its certificate.',
  ),
  SIGNIN_POSSESSION_NOT_PROVEN: spec(
    401,
    0x8009030c,
    'SEC_E_LOGON_DENIED',
    'denied',
    "This connection did not prove possession of the certificate's private key in its own TLS handshake.",
  ),
  SIGNIN_CERT_MALFORMED: spec(
    400,
    0x8009310b,
    'CRYPT_E_ASN1_BADTAG',
    'denied',
    'The presented certificate chain is not valid DER, is too large, or carries an extension that cannot be processed.',
  ),
  SIGNIN_CHAIN_UNTRUSTED: spec(
    403,
    0x800b0109,
    'CERT_E_UNTRUSTEDROOT',
    'denied',
    'The certificate does not chain to a trusted root certification authority.',
  ),
  SIGNIN_CA_NOT_TRUSTED_FOR_LOGON: spec(
    403,
    0x80090352,
    'SEC_E_ISSUING_CA_UNTRUSTED',
    'denied',
    'The certificate was issued by a certification authority that is not trusted for smart card sign-in.',
  ),
  SIGNIN_SIGNATURE_INVALID: spec(
    403,
    0x80096004,
    'TRUST_E_CERT_SIGNATURE',
    'denied',
    'A signature in the certificate chain does not verify, or uses an algorithm or key size that is not accepted.',
  ),
  SIGNIN_BASIC_CONSTRAINTS: spec(
    403,
    0x80096019,
    'TRUST_E_BASIC_CONSTRAINTS',
    'denied',
    'The certificate chain violates basic constraints or CA key usage.',
  ),
  SIGNIN_NAME_CONSTRAINTS: spec(
    403,
    0x800b0114,
    'CERT_E_INVALID_NAME',
    'denied',
    'A certificate in the chain has a name its issuing certification authority is not permitted to certify.',
  ),
  SIGNIN_POLICY: spec(
    403,
    0x800b0113,
    'CERT_E_INVALID_POLICY',
    'denied',
    'The certificate chain does not satisfy the required certificate policies.',
  ),
  SIGNIN_CERT_PROFILE: spec(
    403,
    0x800b010b,
    'TRUST_E_FAIL',
    'denied',
    'A certificate in the chain breaks a rule of the RFC 5280 certificate profile that this service enforces.',
  ),
  SIGNIN_UNKNOWN_CRITICAL_EXTENSION: spec(
    403,
    0x800b0105,
    'CERT_E_CRITICAL',
    'denied',
    'A certificate in the chain carries a critical extension this service does not process.',
  ),
  SIGNIN_CERT_EXPIRED: spec(
    403,
    0x80090355,
    'SEC_E_SMARTCARD_CERT_EXPIRED',
    'denied',
    'A certificate in the chain is expired or not yet valid.',
  ),
  SIGNIN_KEY_USAGE: spec(
    403,
    0x800b0110,
    'CERT_E_WRONG_USAGE',
    'denied',
    "The certificate's key usage does not allow digital signatures.",
  ),
  SIGNIN_EKU: spec(
    403,
    0x80090349,
    'SEC_E_CERT_WRONG_USAGE',
    'denied',
    'The certificate is not valid for smart card sign-in (extended key usage or application policy).',
  ),
  SIGNIN_REVOKED: spec(
    403,
    0x80090351,
    'SEC_E_SMARTCARD_CERT_REVOKED',
    'denied',
    'A certificate in the chain has been revoked.',
  ),
  SIGNIN_OCSP_INVALID: spec(
    403,
    0x80092012,
    'CRYPT_E_NO_REVOCATION_CHECK',
    'denied',
    'The OCSP response for a certificate in the chain could not be trusted.',
  ),
  SIGNIN_REVOCATION_UNKNOWN: spec(
    403,
    0x80090353,
    'SEC_E_REVOCATION_OFFLINE_C',
    'denied',
    'The revocation status of a certificate in the chain could not be determined.',
  ),
  SIGNIN_NOT_MAPPED: spec(
    403,
    0x8009030c,
    'SEC_E_LOGON_DENIED',
    'denied',
    'The certificate does not map to a directory account.',
  ),
  SIGNIN_WEAK_MAPPING: spec(
    403,
    0x8009030c,
    'SEC_E_LOGON_DENIED',
    'denied',
    'The certificate maps to an account only by its user principal ' +
      'name, which is a weak mapping this service does not accept.',
  ),
  SIGNIN_CERTIFICATE_MISMATCH: spec(
    403,
    0x8009030c,
    'SEC_E_LOGON_DENIED',
    'denied',
    'The identities in the certificate do not all belong to the same directory account.',
  ),
  SIGNIN_MAPPING_AMBIGUOUS: spec(
    403,
    0x8009030c,
    'SEC_E_LOGON_DENIED',
    'denied',
    'The certificate maps to more than one directory account.',
  ),
  SIGNIN_CERT_PREDATES_ACCOUNT: spec(
    403,
    0x8009030c,
    'SEC_E_LOGON_DENIED',
    'denied',
    'The certificate was issued before the account it maps to was created.',
  ),

  // --- configuration and infrastructure ------------------------------------------------------
  CONFIG_INVALID: spec(500, 0x8007000d, 'ERROR_INVALID_DATA', 'error', 'The Tessera configuration is not valid.'),
  CA_KEY_UNAVAILABLE: spec(503, 0x8009000d, 'NTE_NO_KEY', 'error', 'The CA signing key is not available.'),
  CA_LINT_MISMATCH: spec(
    500,
    0x8000ffff,
    'E_UNEXPECTED',
    'error',
    'The CA refused to sign a certificate that did not match its profile; it has been logged.',
  ),
  STORAGE_UNAVAILABLE: spec(
    503,
    0x8009400f,
    'CERTSRV_E_NO_DB_SESSIONS',
    'error',
    'The certificate database is unavailable; nothing was changed. Try again later.',
  ),
  STORAGE_FULL: spec(
    507,
    0x80070070,
    'ERROR_DISK_FULL',
    'error',
    'The certificate database has no space left; nothing was changed.',
  ),
  DIRECTORY_UNAVAILABLE: spec(
    503,
    0x8007203a,
    'ERROR_DS_SERVER_DOWN',
    'error',
    'The directory is unavailable; nothing was changed. Try again later.',
  ),
  AUDIT_CHAIN_BROKEN: spec(500, 0x8007000d, 'ERROR_INVALID_DATA', 'error', 'The audit log failed verification.'),
  SELF_AUDIT_FAILED: spec(
    500,
    0x8007000d,
    'ERROR_INVALID_DATA',
    'error',
    'The self-audit found high-severity findings.',
  ),
  INTERNAL: spec(500, 0x8000ffff, 'E_UNEXPECTED', 'error', 'An unexpected error occurred; it has been logged.'),
} as const satisfies Record<string, ErrorSpec>;

/**
 * Codes that were once reported and are no more. Scripts and alerts may still match them,
 * so a retired code keeps its old meaning for good: it is never given to a new failure
 * (registry.test.ts refuses a live code that is on this list). Retiring a code means moving
 * its name here, with its row in docs/errors.md moving to "Retired codes".
 */
export const RETIRED_CODES: readonly string[] = [];

export type ErrorCode = keyof typeof errorRegistry;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorRegistry, code);
}

/** `0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)`, the CR_GEMT_HRESULT_STRING shape. */
export function hresultText(code: ErrorCode): string {
  const { hresult, symbol } = errorRegistry[code];
  return hresultString(hresult, symbol);
}

/** `0x80094012`: the code's HRESULT alone. */
export const hresultOf = (code: ErrorCode): string => hresultHex(errorRegistry[code].hresult);
