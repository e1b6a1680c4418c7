/**
 * The TCP peer is this host: 127.0.0.0/8 (RFC 1122 §3.2.1.3), ::1 (RFC 4291 §2.5.3), or
 * either as an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2). `req.ip` is the socket's peer
 * (the app trusts no X-Forwarded-For), so a reverse proxy on this host is loopback too.
 */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
