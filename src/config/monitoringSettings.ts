/**
 * The `monitoring` section of tessera.json: which callers read /metrics and /readyz
 * without credentials (entry/http/metrics.ts, entry/http/health.ts; README.md
 * "Configuration").
 *
 * A caller's address is a weak credential: behind a reverse proxy on the same host every
 * request comes from loopback, and any local process is loopback too. So /metrics —
 * request counts by template and disposition, error codes, process figures — needs an
 * administrator's or auditor's credentials from everywhere unless this says otherwise.
 * /readyz tells less (up or not, per dependency) and is what a local orchestrator's probe
 * (systemd, a container HEALTHCHECK) calls without credentials, so loopback is open by
 * default; a load balancer probing from another address needs "anyone".
 */
import type { Config, MonitoringSettings } from './Config.js';

export type MetricsAccess = NonNullable<MonitoringSettings['metricsWithoutCredentials']>;
export type ReadyzAccess = NonNullable<MonitoringSettings['readyzWithoutCredentials']>;

export const DEFAULT_METRICS_ACCESS: MetricsAccess = 'none';
export const DEFAULT_READYZ_ACCESS: ReadyzAccess = 'loopback';

/** Problems in the `monitoring` section, each naming the setting. */
export function monitoringSettingsProblems(m: MonitoringSettings): string[] {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return ['monitoring: an object'];
  const p: string[] = [];
  const known = new Set(['metricsWithoutCredentials', 'readyzWithoutCredentials']);
  for (const k of Object.keys(m))
    if (!known.has(k)) p.push(`monitoring.${k}: not a setting (metricsWithoutCredentials, readyzWithoutCredentials)`);
  if (m.metricsWithoutCredentials !== undefined && !['none', 'loopback'].includes(m.metricsWithoutCredentials))
    p.push('monitoring.metricsWithoutCredentials: "none" or "loopback"');
  if (m.readyzWithoutCredentials !== undefined && !['none', 'loopback', 'anyone'].includes(m.readyzWithoutCredentials))
    p.push('monitoring.readyzWithoutCredentials: "none", "loopback" or "anyone"');
  return p;
}

export function metricsAccess(c: Config): MetricsAccess {
  return c.monitoring?.metricsWithoutCredentials ?? DEFAULT_METRICS_ACCESS;
}

export function readyzAccess(c: Config): ReadyzAccess {
  return c.monitoring?.readyzWithoutCredentials ?? DEFAULT_READYZ_ACCESS;
}
