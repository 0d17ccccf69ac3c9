// dependency-cruiser: the layering of Argus (CONVENTIONS.md, "Dependencies point one way").
// `npm run lint` cruises the whole repository (`depcruise --config .dependency-cruiser.cjs .`), so a folder
// that does not exist yet (git keeps no empty folders) is no error. Type-only imports count: a wrong arrow
// is wrong even when the compiler erases it. Exception: devDependencies may be imported for types only.

/** Our top-level source folders. */
const OURS = ['config', 'contracts', 'storage', 'ingest', 'analytics', 'command-ui', 'models', 'cli', 'bin', 'scripts', 'test', 'bench'];

/** A path pattern matching our folders other than `allowed`. */
function oursExcept(...allowed) {
  return `^(${OURS.filter((f) => !allowed.includes(f)).join('|')})/`;
}

/** Code that ships (runs in production); tests, benchmarks, scripts and the built web app are not checked for devDependencies. */
const PRODUCTION = '^(config|contracts|storage|ingest|analytics|command-ui|models|cli|bin)/';
const NOT_PRODUCTION = ['\\.(spec|test)\\.[cm]?[jt]sx?$', '^command-ui/web/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Circular imports make start-up order and testing fragile; move the shared piece down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contracts-only-contracts',
      severity: 'error',
      comment: 'contracts/ is the bottom layer (zod schemas and types shared by server and browser): it imports nothing of ours but contracts.',
      from: { path: '^contracts/' },
      to: { path: oursExcept('contracts') },
    },
    {
      name: 'config-only-contracts',
      severity: 'error',
      comment: 'config/ sits on contracts only.',
      from: { path: '^config/' },
      to: { path: oursExcept('config', 'contracts') },
    },
    {
      name: 'storage-only-config-contracts',
      severity: 'error',
      comment: 'storage/ (PostgreSQL, Redis, files) depends on config and contracts only, never on the services above it.',
      from: { path: '^storage/' },
      to: { path: oursExcept('storage', 'config', 'contracts') },
    },
    {
      name: 'models-only-config-contracts',
      severity: 'error',
      comment: 'models/ (manifest, model files, model classes) depends on config and contracts only.',
      from: { path: '^models/' },
      to: { path: oursExcept('models', 'config', 'contracts') },
    },
    {
      name: 'ingest-not-analytics',
      severity: 'error',
      comment: 'ingest and analytics do not import each other; a role entry point joins them through contracts/frames.ts.',
      from: { path: '^ingest/' },
      to: { path: '^analytics/' },
    },
    {
      name: 'analytics-not-ingest',
      severity: 'error',
      comment: 'ingest and analytics do not import each other; a role entry point joins them through contracts/frames.ts.',
      from: { path: '^analytics/' },
      to: { path: '^ingest/' },
    },
    {
      name: 'roles-not-api-server',
      severity: 'error',
      comment: 'ingest and analytics do not reach into the API server; the role entry point (cli/) wires them.',
      from: { path: '^(ingest|analytics)/' },
      to: { path: '^command-ui/' },
    },
    {
      name: 'api-server-not-roles',
      severity: 'error',
      comment: 'The API server talks to ingest and analytics through ports that cli/serve.ts fills in, not by importing them.',
      from: { path: '^command-ui/server/' },
      to: { path: '^(ingest|analytics)/' },
    },
    {
      name: 'web-only-contracts',
      severity: 'error',
      comment:
        'The browser app imports only contracts/ of ours, and npm packages; no server code and no Node built-ins. ' +
        '(Its vite configuration runs in Node and is exempt.)',
      from: { path: '^command-ui/web/', pathNot: '^command-ui/web/[^/]*\\.config\\.[cm]?[jt]s$' },
      to: { pathNot: ['^contracts/', '^command-ui/web/', '(^|/)node_modules/'] },
    },
    {
      name: 'no-dev-deps-in-production',
      severity: 'error',
      comment:
        'Production code must not need devDependencies at run time (they are absent in a production install). ' +
        'Move the package to dependencies, or import it for types only. Tests, bench/ and the built web app are exempt.',
      from: { path: PRODUCTION, pathNot: NOT_PRODUCTION },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-undeclared-packages',
      severity: 'error',
      comment: 'Import only packages declared in package.json; a transitive dependency can vanish with any update.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'This import resolves to no file or package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '^(node_modules|data|coverage|test-results|bench/results|\\.git|\\.argus|command-ui/web/dist)/' },
    moduleSystems: ['es6', 'cjs', 'tsd'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
