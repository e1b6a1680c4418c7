/**
 * The directory seam: policy and the RA see users only through this interface, so the
 * embedded store (EmbeddedDirectory) and LDAP / Active Directory (LdapDirectory) are
 * interchangeable without touching policy.
 */
export interface DirectoryUser {
  /** The account name (sAMAccountName in AD, uid in OpenLDAP). */
  readonly username: string;
  readonly upn: string | null;
  readonly email: string | null;
  readonly displayName: string;
  /** The account's SID in string form (S-1-5-21-…), or null where the directory has none. */
  readonly sid: string | null;
  /** The account's distinguished name, used for "fully distinguished name" subjects. */
  readonly dn: string;
  readonly enabled: boolean;
  readonly createdAt: Date;
  /** Names of every group the user belongs to, nested memberships included. */
  readonly groups: readonly string[];
}

export interface Directory {
  readonly kind: 'embedded' | 'ldap';
  /** The NetBIOS-style domain name accepted in DOMAIN\user forms. */
  readonly domain: string;
  /**
   * Check a password. Throws AUTH_FAILED (unknown user or wrong password — the same
   * error for both), USER_DISABLED, or DIRECTORY_UNAVAILABLE.
   */
  authenticate(username: string, password: string): Promise<DirectoryUser>;
  /** Look a user up by account name, DOMAIN\name or UPN. */
  findUser(name: string): Promise<DirectoryUser | undefined>;
  findUserBySid(sid: string): Promise<DirectoryUser | undefined>;
  findUserByUpn(upn: string): Promise<DirectoryUser | undefined>;
  /** Users whose e-mail address is `email` (for uniqueness checks). */
  findUsersByEmail(email: string): Promise<DirectoryUser[]>;
  /** Whether a group exists (templates and agent restrictions name groups). */
  groupExists(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Strip a DOMAIN\ prefix or split a UPN; returns the account part and the kind of name. */
export function splitAccountName(name: string, domain: string): { kind: 'account' | 'upn'; value: string } | undefined {
  const trimmed = name.trim();
  const slash = trimmed.indexOf('\\');
  if (slash >= 0) {
    const dom = trimmed.slice(0, slash);
    if (dom.toLowerCase() !== domain.toLowerCase()) return undefined;
    return { kind: 'account', value: trimmed.slice(slash + 1) };
  }
  if (trimmed.includes('@')) return { kind: 'upn', value: trimmed };
  return { kind: 'account', value: trimmed };
}
