/**
 * The requester's side and the CA's side import each other only where src/client/README.md
 * says: client code takes the codec, the card layer, the error registry and the problem
 * document mapping, nothing of the CA; the CA takes nothing of the client but the CLI's
 * adapters. Every static and dynamic import of every module under src/ (tests aside) is read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const CLIENT_MAY_IMPORT = ['client/', 'x509/', 'card/', 'errors/', 'entry/http/problemDocument.ts'];
const MAY_IMPORT_CLIENT = ['enroll.ts', 'enrollOnBehalf.ts', 'cardAgent.ts'].map((f) => `entry/cli/commands/${f}`);

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return modules(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** src-relative paths of the modules a file imports from inside src/ (packages and node: aside). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) =>
      relative(src, resolve(dirname(file), name))
        .replace(/\\/g, '/')
        .replace(/\.js$/, '.ts'),
    );
}

const all = modules(src).map((f) => ({ path: relative(src, f).replace(/\\/g, '/'), imports: importsOf(f) }));

describe('the boundary between the requester and the CA', () => {
  it('finds the modules of both sides', () => {
    expect(all.some((m) => m.path.startsWith('client/cardAgent/'))).toBe(true);
    expect(all.some((m) => m.path.startsWith('client/web/'))).toBe(true);
    expect(all.some((m) => m.path.startsWith('client/enroll/'))).toBe(true);
    expect(all.some((m) => m.path.startsWith('ra/'))).toBe(true);
  });

  it('client code imports only the codec, the card layer, the error registry and the problem documents', () => {
    const allowed = (i: string) => CLIENT_MAY_IMPORT.some((p) => i.startsWith(p));
    const bad = all
      .filter((m) => m.path.startsWith('client/'))
      .flatMap((m) => m.imports.filter((i) => !allowed(i)).map((i) => `${m.path} → ${i}`));
    expect(bad).toEqual([]);
  });

  it('nothing on the CA side imports client code, except the CLI adapters', () => {
    const bad = all
      .filter((m) => !m.path.startsWith('client/') && !MAY_IMPORT_CLIENT.includes(m.path))
      .flatMap((m) => m.imports.filter((i) => i.startsWith('client/')).map((i) => `${m.path} → ${i}`));
    expect(bad).toEqual([]);
  });
});
