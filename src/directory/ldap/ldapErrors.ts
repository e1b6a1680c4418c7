/**
 * What an LDAP failure means to Tessera. Anything that is not an answer about the
 * account — a refused or lost connection, a timeout, TLS failing, the service account
 * rejected, a busy or misconfigured server — is DIRECTORY_UNAVAILABLE: the user sees the
 * registry's public text, the log gets the precise detail. It is never turned into
 * "unknown user" or "wrong password", so an outage cannot look like a denial.
 */
import { InvalidCredentialsError, NoSuchObjectError, ResultCodeError } from 'ldapts';
import { TesseraError } from '../../errors/TesseraError.js';

export function isResultCode(e: unknown): e is ResultCodeError {
  return e instanceof ResultCodeError;
}

export function isInvalidCredentials(e: unknown): e is InvalidCredentialsError {
  return e instanceof InvalidCredentialsError || (isResultCode(e) && e.code === 49);
}

export function isNoSuchObject(e: unknown): boolean {
  return e instanceof NoSuchObjectError || (isResultCode(e) && e.code === 32);
}

/**
 * Active Directory explains a failed bind (resultCode 49) in the diagnostic message:
 * `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563`.
 * The "data" value is a Win32 error code in hex.
 */
export function adBindSubcode(e: unknown): string | undefined {
  const m = /\bdata ([0-9a-f]{3,8})\b/i.exec(e instanceof Error ? e.message : String(e));
  return m?.[1].toLowerCase();
}

/**
 * AD bind sub-codes that mean "the password was right but the account may not sign in".
 * AD reports these only for a correct password (52e masks them otherwise), so mapping
 * them to USER_DISABLED reveals nothing to someone guessing passwords. 775 (locked out)
 * is reported whatever the password, so it stays AUTH_FAILED.
 */
export const AD_DISABLED_SUBCODES: ReadonlySet<string> = new Set([
  '533', // ERROR_ACCOUNT_DISABLED
  '701', // ERROR_ACCOUNT_EXPIRED
]);

/** A one-line description for logs: the LDAP result code and server text, or the socket error. */
export function describeLdapError(e: unknown): string {
  if (isResultCode(e)) return `LDAP result ${e.code} (${e.name}): ${e.message}`.slice(0, 500);
  if (e instanceof TesseraError) return e.describe();
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return (code ? `${code}: ${e.message}` : e.message).slice(0, 500);
  }
  return String(e).slice(0, 500);
}

/** DIRECTORY_UNAVAILABLE with what failed and why, for the log. TesseraErrors pass through. */
export function unavailable(e: unknown, context: string): TesseraError {
  if (e instanceof TesseraError) return e;
  return new TesseraError('DIRECTORY_UNAVAILABLE', `${context}: ${describeLdapError(e)}`, { cause: e });
}
