/** The site's own static files: the stylesheet and the bundled page script (dist/web/public). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
};

/** dist/web/public next to the compiled code, else the build output and sources from the repository root. */
const DIRS = [
  fileURLToPath(new URL('../../../web/public/', import.meta.url)),
  join(process.cwd(), 'dist', 'web', 'public'),
  fileURLToPath(new URL('../../../web/static/', import.meta.url)),
  join(process.cwd(), 'src', 'web', 'static'),
];

const cache = new Map<string, { body: Buffer; type: string }>();

export async function staticFile(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  const m = /^[a-z0-9][a-z0-9._-]{0,63}\.(js|css|map|svg|png)$/i.exec(name);
  if (!m || name.includes('..')) return undefined;
  const hit = cache.get(name);
  if (hit) return hit;
  for (const dir of DIRS) {
    const p = join(dir, name);
    if (existsSync(p)) {
      const f = { body: await readFile(p), type: TYPES[m[1].toLowerCase()] };
      cache.set(name, f);
      return f;
    }
  }
  return undefined;
}
