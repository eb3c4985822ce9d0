/**
 * The layering rules of docs/architecture.md ("Layers and imports"), checked by test/architecture.test.ts.
 * Rule syntax: dependency-cruiser's "rules-reference" documentation (forbidden rules, `circular`, `pathNot`).
 */
// Every folder of src/ is a feature except the two layers below them all; a new folder is one too.
const FEATURES = '^src/(?!http/|lib/)[^/]+/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle is a knot to read and to change; type-only imports count too.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'http-errors-stay-in-http',
      comment: 'Services throw the domain errors of src/lib/errors.ts; only the HTTP layer (src/http/, and the pages that render errors) knows HTTP statuses.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/http/', '(^|/)(routes|pages|[a-z-]+-pages)\\.ts$'] },
      to: { path: '^src/http/errors\\.ts$' },
    },
    {
      name: 'features-take-their-services',
      comment: 'src/services.ts is the composition root: only the entry points (app, jobs, main, worker, cli) may import it; features take the services they use.',
      severity: 'error',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/services\\.ts$' },
    },
    {
      name: 'lib-imports-no-feature',
      comment: 'src/lib/ is below every feature; a feature it needed would import it back.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: FEATURES },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
