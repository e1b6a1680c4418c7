// Build: TypeScript to dist/ (tsc), and the browser enrollment client to
// dist/web/public (esbuild), so `npm install` leaves a runnable checkout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  // `npm install --omit=dev` has no compiler; a published package ships dist/ instead.
  if (existsSync(join(root, 'dist', 'entry', 'cli', 'main.js'))) process.exit(0);
  console.error('build: TypeScript is not installed; run `npm install` (with dev dependencies)');
  process.exit(1);
}
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
if (r.status !== 0) process.exit(r.status ?? 1);

const clientEntry = join(root, 'src', 'client', 'web', 'main.ts');
if (existsSync(clientEntry)) {
  const esbuild = await import('esbuild');
  mkdirSync(join(root, 'dist', 'web', 'public'), { recursive: true });
  await esbuild.build({
    entryPoints: [clientEntry],
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    outfile: join(root, 'dist', 'web', 'public', 'enroll.js'),
    logLevel: 'warning',
  });
}
const staticDir = join(root, 'src', 'web', 'static');
if (existsSync(staticDir)) cpSync(staticDir, join(root, 'dist', 'web', 'public'), { recursive: true });
