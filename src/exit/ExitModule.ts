/**
 * AD CS exit modules: told after commit what happened, with a read-only event. They
 * observe and publish (metrics, LDAP publication, notifications, CRL scheduling); they
 * never change a decision. A failing exit is retried and logged, and never undoes issuance.
 */
export type ExitEvent =
  | {
      readonly kind: 'issued';
      readonly requestId: number;
      readonly serial: string;
      readonly template: string;
      readonly subjectUser: string | null;
      readonly der: Buffer;
      readonly latencyMs: number;
    }
  | { readonly kind: 'pending'; readonly requestId: number; readonly template: string | null }
  | { readonly kind: 'denied'; readonly requestId: number; readonly template: string | null; readonly code: string }
  | { readonly kind: 'failed'; readonly requestId: number; readonly template: string | null; readonly code: string }
  | {
      readonly kind: 'revoked';
      readonly serial: string;
      readonly reason: number;
      readonly subjectUser: string | null;
      readonly der: Buffer | null;
    }
  | {
      readonly kind: 'unrevoked';
      readonly serial: string;
      readonly subjectUser: string | null;
      readonly der: Buffer | null;
    }
  | { readonly kind: 'crl'; readonly caId: string; readonly number: number; readonly delta: boolean };

export interface ExitModule {
  readonly name: string;
  notify(event: ExitEvent): void | Promise<void>;
}
