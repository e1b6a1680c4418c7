// The import rules between Tessera's layers, checked by `npm run lint` (and so by `npm test`).
// docs/architecture.md draws the pipeline these rules keep: entry → ra → policy → ca → store
// → exit, with x509/ as the one codec, keys/ as the one place that holds private keys, and
// the requester's side (src/client/) kept apart from the CA's.

/** Layers of the CA side, as path patterns. */
const CA_SIDE =
  '^src/(Tessera\\.ts|audit|ca|check|config|directory|entry|exit|keys|policy|ra|setup|store|template)(/|$)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes load order matter and hides which module owns what. Type-only imports do not count.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'x509-is-a-leaf',
      comment: 'x509/ is the codec everything reads with: it may use only itself and errors/.',
      severity: 'error',
      from: { path: '^src/x509/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/', pathNot: '^src/(x509|errors)/' },
    },
    {
      name: 'policy-is-pure',
      comment: 'policy/ decides without side effects: no storage, keys, transport, use cases or exits.',
      severity: 'error',
      from: { path: '^src/policy/' },
      to: {
        path: '^src/(Tessera\\.ts|store|keys|entry|ra|exit|setup|card|client|check)(/|$)',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'ca-knows-no-users',
      comment: 'ca/ signs a resolved profile: it never sees users, groups, requests as such, HTTP or exits.',
      severity: 'error',
      from: { path: '^src/ca/' },
      to: { path: '^src/(Tessera\\.ts|entry|ra|policy|directory|exit|setup|client|check)(/|$)' },
    },
    {
      name: 'store-is-the-bottom',
      comment: 'store/ is the only SQL and depends on no layer above it.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(Tessera\\.ts|entry|ra|policy|ca|exit|keys|directory|setup|client|check|card|signin)(/|$)' },
    },
    {
      name: 'exit-observes',
      comment: 'Exit modules are told about decisions after commit; they do not call use cases or transports.',
      severity: 'error',
      from: { path: '^src/exit/' },
      to: { path: '^src/(entry|ra|policy|setup|client)/' },
    },
    {
      name: 'ra-below-entry',
      comment: 'Use cases do not know the door a request came through.',
      severity: 'error',
      from: { path: '^src/(ra|policy|ca|store|exit|keys|template|directory|audit|x509|signin|config)/' },
      to: { path: '^src/entry/' },
    },
    {
      name: 'signin-embeddable',
      comment: 'src/signin is the relying-party library other services embed: it must not pull in the CA.',
      severity: 'error',
      from: { path: '^src/signin/' },
      to: { path: '^src/(Tessera\\.ts|ra|store|entry|ca|config|keys|setup|policy|exit|check|template|client)(/|$)' },
    },
    {
      name: 'client-apart-from-ca',
      comment:
        'What runs at the requester (src/client) does not import the CA, and the CA does not import it. ' +
        'The one module it shares with entry/ is the pure code → status + problem document mapping.',
      severity: 'error',
      from: { path: '^src/client/', pathNot: '\\.test\\.ts$' },
      to: { path: CA_SIDE, pathNot: '^src/entry/http/problemDocument\\.ts$' },
    },
    {
      name: 'ca-apart-from-client',
      comment: 'The CA side does not reach into requester code (entry/cli may start the card agent).',
      severity: 'error',
      from: { path: CA_SIDE, pathNot: '^src/entry/cli/' },
      to: { path: '^src/client/' },
    },
    {
      name: 'sql-only-in-store',
      comment: 'Only store/ speaks SQL.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: 'node_modules/(kysely|better-sqlite3|pg)/' },
    },
    {
      name: 'http-servers-only-in-entry',
      comment: 'Only entry/ (and the card agent, which is an entry of the requester side) serves HTTP.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(entry|client/cardAgent)/' },
      to: { path: 'node_modules/(fastify|@fastify/)' },
    },
    {
      name: 'pkcs11-only-in-keys-and-card',
      comment:
        'PKCS#11 sessions are opened by keys/ (CA and service keys), card/ (smart cards) and the requester side.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(keys|card|client)/' },
      to: { path: 'node_modules/pkcs11js/' },
    },
    {
      name: 'src-not-from-test',
      comment: 'Production code never imports test helpers.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
  },
};
