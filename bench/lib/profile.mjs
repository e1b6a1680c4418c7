#!/usr/bin/env node
// Summarise a V8 .cpuprofile (node --cpu-prof): self time by function and by package, and
// inclusive time of chosen functions. Usage: node bench/lib/profile.mjs FILE [top] [match,…]
import { readFileSync } from 'node:fs';

const [file, topArg = '40', matchArg = ''] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const name = (n) =>
  `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*node_modules\//, 'nm:').replace(/^file:\/\/\/work\/main\//, '')}:${n.callFrame.lineNumber + 1}`;
const pkg = (n) => {
  const u = n.callFrame.url;
  if (!u) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return m[1];
  if (u.startsWith('node:')) return `node:${u.slice(5).split('/')[0]}`;
  const d = /dist\/([^/]+)/.exec(u);
  return d ? `tessera/${d[1]}` : u;
};
const self = new Map();
const pk = new Map();
for (const [id, t] of dt) {
  const n = byId.get(id);
  self.set(name(n), (self.get(name(n)) ?? 0) + t);
  pk.set(pkg(n), (pk.get(pkg(n)) ?? 0) + t);
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\n-- by package (self) --');
for (const [k, v] of [...pk].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(pct(v), k);
console.log('\n-- by function (self) --');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) console.log(pct(v), k);
if (matchArg) {
  console.log('\n-- inclusive --');
  for (const m of matchArg.split(',')) {
    let t = 0;
    for (const [id, d] of dt) {
      let cur = id;
      while (cur !== undefined) {
        if (byId.get(cur).callFrame.functionName === m) {
          t += d;
          break;
        }
        cur = parent.get(cur);
      }
    }
    console.log(pct(t), m);
  }
}

// Stage attribution: each sample goes to the deepest of the named functions on its stack.
const stagesArg = process.argv.find((a) => a.startsWith('--stages='));
if (stagesArg) {
  const stages = stagesArg.slice(9).split(',');
  const acc = new Map();
  for (const [id, d] of dt) {
    let cur = id;
    let hit = '(other)';
    while (cur !== undefined) {
      const fn = byId.get(cur).callFrame.functionName;
      if (stages.includes(fn)) {
        hit = fn;
        break;
      }
      cur = parent.get(cur);
    }
    if (hit === '(other)') {
      const n = byId.get(id);
      if (['(idle)', '(garbage collector)', '(program)'].includes(n.callFrame.functionName))
        hit = n.callFrame.functionName;
    }
    acc.set(hit, (acc.get(hit) ?? 0) + d);
  }
  console.log('\n-- stages (deepest named frame) --');
  for (const [k, v] of [...acc].sort((a, b) => b[1] - a[1])) console.log(pct(v), k);
}
