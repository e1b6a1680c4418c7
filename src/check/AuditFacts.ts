/**
 * Everything the self-audit looks at, gathered once (gatherAuditFacts.ts) so that the
 * rules (evaluateAudit.ts) are a pure function of it, as policy/ is of its input.
 */
import type { Config, RoleGroups } from '../config/Config.js';
import type { AgentRestriction } from '../store/AgentRestrictionStore.js';
import type { CrlRecord } from '../store/CrlStore.js';

export interface StoredTemplateFacts {
  readonly name: string;
  /** The stored JSON as it is, validated or not. */
  readonly definition: unknown;
  /** validateTemplate's problems; empty for a valid template. */
  readonly problems: readonly string[];
}

export interface RoleMember {
  readonly username: string;
  readonly enabled: boolean;
}

export interface UnsafeFile {
  /** Relative to the data directory. */
  readonly path: string;
  readonly mode: number;
  readonly problem: string;
}

export interface CaFacts {
  readonly id: string;
  readonly role: 'root' | 'issuing';
  readonly keyStore: 'file' | 'pkcs11';
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly full?: CrlRecord;
  readonly delta?: CrlRecord;
}

export type HttpListenerFacts =
  | { readonly status: 'disabled' }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'checked'; readonly probed: readonly string[]; readonly problems: readonly string[] };

export interface AuditFacts {
  readonly now: Date;
  readonly config: Config;
  /** Why Tessera refuses to open this data directory (the server would not start), if it does. */
  readonly startupError?: string;
  readonly templates: readonly StoredTemplateFacts[];
  readonly restrictions: readonly AgentRestriction[];
  /** Members of each role group; null when the directory is LDAP (membership is not enumerated). */
  readonly roleMembers: { readonly [K in keyof RoleGroups]: readonly RoleMember[] } | null;
  /** Enabled accounts in the embedded directory; null for LDAP. */
  readonly enabledUsers: number | null;
  readonly files: {
    /** keys/<root>.key.pem when the offline-capable root's key file is on this disk. */
    readonly rootKey: string | null;
    readonly passphraseFile: boolean;
    /** Whether any CA key is an encrypted file (the passphrase then unlocks a CA key). */
    readonly caKeyFiles: boolean;
    readonly unsafe: readonly UnsafeFile[];
  };
  readonly cas: readonly CaFacts[];
  /** The newest delegated OCSP responder certificate of the issuing CA. */
  readonly ocspSigner: { readonly serial: string; readonly notBefore: Date; readonly notAfter: Date } | null;
  readonly httpListener: HttpListenerFacts;
}
