/**
 * Table types for Kysely. Times are integer milliseconds since the epoch in both
 * engines (PostgreSQL BIGINT is parsed to a number, see database.ts); booleans are 0/1.
 */
import type { Generated } from 'kysely';

export interface CaTable {
  id: string;
  name: string;
  role: 'root' | 'issuing';
  parent_id: string | null;
  certificate: Buffer;
  key_ref: string;
  renewal: number;
  active: number;
  created_at: number;
}

export interface TemplateTable {
  name: string;
  definition: string;
  version: number;
  updated_at: number;
  updated_by: string;
}

export interface UserTable {
  id: Generated<number>;
  username: string;
  upn: string | null;
  email: string | null;
  display_name: string;
  sid: string;
  dn: string;
  enabled: number;
  password_hash: string | null;
  created_at: number;
}

export interface GroupTable {
  id: Generated<number>;
  name: string;
  sid: string;
  description: string;
  created_at: number;
}

export interface GroupMemberTable {
  group_id: number;
  user_id: number;
}

export interface RequestTable {
  id: Generated<number>;
  submitted_at: number;
  requester: string;
  subject_user: string | null;
  agent: string | null;
  template: string | null;
  format: string;
  request_der: Buffer | null;
  request_sha256: string;
  attributes: string;
  disposition: 'issuing' | 'issued' | 'pending' | 'denied' | 'failed' | 'revoked';
  code: string | null;
  message: string;
  serial: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  source: string | null;
}

export interface CertificateTable {
  serial: string;
  ca_id: string;
  request_id: number | null;
  subject: string;
  subject_user: string | null;
  template: string | null;
  not_before: number;
  not_after: number;
  status: 'reserved' | 'issued' | 'revoked' | 'abandoned';
  tbs: Buffer;
  der: Buffer | null;
  issued_at: number | null;
  revoked_at: number | null;
  revocation_reason: number | null;
  created_at: number;
}

export interface AuditTable {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  request_id: number | null;
  serial: string | null;
  source: string | null;
  details: string;
  prev: string;
  hash: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface CrlTable {
  ca_id: string;
  number: number;
  kind: 'full' | 'delta';
  base_number: number | null;
  this_update: number;
  next_update: number;
  entries: number;
  der: Buffer;
  /** revocation_version seen by the CRL's snapshot (migration 004). */
  revocation_version: Generated<number>;
}

/** One row; the counter goes up with every revocation change, in commit order (004). */
export interface RevocationVersionTable {
  id: number;
  version: number;
}

/** One row per revocation or release, written by a trigger on certificates (004). */
export interface RevocationChangeTable {
  version: number;
  ca_id: string;
  serial: string;
  revoked: number;
  reason: number | null;
  at: number;
}

/** Enrollment agent restrictions (migration 003). */
export interface AgentRestrictionTable {
  id: Generated<number>;
  agent: string;
  agent_kind: string;
  target: string;
  target_kind: string;
  template: string;
  allow_privileged: number;
  rule_key: string;
  created_at: number;
  created_by: string;
}

/** Privileged groups beyond the configured role groups (migration 003). */
export interface AgentPrivilegedGroupTable {
  name_key: string;
  name: string;
  created_at: number;
  created_by: string;
}

/** One row per session cookie (migration 005). */
export interface SessionTable {
  /** SHA-256 (base64url) of the cookie's session ID. */
  id: string;
  username: string;
  username_key: string;
  method: string;
  source: string | null;
  /** Roles held at sign-in, comma-separated. */
  roles: string;
  /** The user's session epoch when the credentials were checked. */
  epoch: number;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

/** Per user: moves on with every "end all"; sessions of an earlier epoch are void (005). */
export interface SessionEpochTable {
  username_key: string;
  epoch: number;
  changed_at: number;
}

/** Failed password sign-ins per (user, address), and per address with username_key '' (005). */
export interface SigninFailureTable {
  username_key: string;
  address: string;
  failures: number;
  last_failure_at: number;
}

export interface Database {
  sessions: SessionTable;
  session_epochs: SessionEpochTable;
  signin_failures: SigninFailureTable;
  agent_restrictions: AgentRestrictionTable;
  agent_privileged_groups: AgentPrivilegedGroupTable;
  crls: CrlTable;
  revocation_version: RevocationVersionTable;
  revocation_changes: RevocationChangeTable;
  cas: CaTable;
  templates: TemplateTable;
  users: UserTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  requests: RequestTable;
  certificates: CertificateTable;
  audit: AuditTable;
  meta: MetaTable;
}
