/**
 * The `Requests` cookie that remembers this browser's pending requests, as AD CS sets it
 * (docs/certsrv.md §3): entries `[<ReqID>,<TargetStoreFlags>,<SaveCert>,<FriendlyType>]`
 * concatenated, `-` when empty, path /certsrv. It only lists IDs: looking a request up
 * still requires being its requester.
 */
export interface PendingEntry {
  readonly id: number;
  readonly targetStoreFlags: number;
  readonly saveCert: 'yes' | 'no';
  readonly friendlyType: string;
}

export const REQUESTS_COOKIE = 'Requests';
export const PENDING_TIMEOUT_DAYS = 10;

export function parseRequestsCookie(value: string | undefined): PendingEntry[] {
  // @fastify/cookie has already percent-decoded the value.
  if (!value || value === '-') return [];
  const text = value;
  const out: PendingEntry[] = [];
  for (const m of text.matchAll(/\[(\d{1,15}),(\d{1,10}),(yes|no),([^\]]*)\]/g)) {
    out.push({
      id: Number(m[1]),
      targetStoreFlags: Number(m[2]),
      saveCert: m[3] as 'yes' | 'no',
      friendlyType: m[4].slice(0, 200),
    });
  }
  return out.slice(-50);
}

export function formatRequestsCookie(entries: readonly PendingEntry[]): string {
  if (!entries.length) return '-';
  // Separators in the friendly text become spaces, as AD CS does. @fastify/cookie
  // percent-encodes the value when it sets the cookie.
  return entries
    .map((e) => `[${e.id},${e.targetStoreFlags},${e.saveCert},${e.friendlyType.replace(/[,\][]/g, ' ')}]`)
    .join('');
}
