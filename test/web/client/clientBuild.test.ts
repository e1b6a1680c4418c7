/**
 * The browser client type-checks against the DOM (no Node types) and bundles for the
 * browser with no Node built-ins, as scripts/build.mjs ships it to /certsrv/static/enroll.js.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const here = join(root, 'src', 'client', 'web');

describe('the enrollment client build', () => {
  it('type-checks with lib DOM and no Node types (tsc -p src/client/web)', () => {
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', here], {
      encoding: 'utf8',
      cwd: root,
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('bundles for the browser without Node built-ins', async () => {
    const out = await build({
      entryPoints: [join(here, 'main.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      write: false,
      minify: true,
      logLevel: 'silent',
      metafile: true,
    });
    expect(out.errors).toEqual([]);
    const inputs = Object.keys(out.metafile!.inputs);
    expect(inputs.some((i) => i.startsWith('node:'))).toBe(false);
    const js = out.outputFiles[0].text;
    expect(js).not.toMatch(/from\s*["']node:/);
    expect(js).not.toMatch(/require\(["'](fs|crypto|path|child_process)["']\)/);
  });
});
