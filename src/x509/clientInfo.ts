/**
 * The Microsoft request client information attribute (1.3.6.1.4.1.311.21.20;
 * learn.microsoft.com "CMC Request"), as buildCsr.ts writes it and csr.ts reads it.
 * Browser-safe: a type only.
 */
export interface ClientInfo {
  readonly clientId: number;
  readonly machine: string;
  readonly user: string;
  readonly process: string;
}
