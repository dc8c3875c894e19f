// Import direction (STYLE.md "Layout shows the architecture"). Checked by `npm run lint`.
const layers = ['core', 'expr', 'formats', 'sql', 'connectors', 'processors', 'engine', 'bus', 'store', 'scheduler', 'server', 'agent', 'cli']
const only = (from, allowed) => ({
  name: `${from}-imports`,
  comment: `src/${from} may import only ${allowed.length ? allowed.join(', ') : 'nothing else in src'}`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: `^src/(${layers.filter((l) => l !== from && !allowed.includes(l)).join('|')})/` },
})

module.exports = {
  forbidden: [
    only('core', []),
    only('expr', ['core']),
    only('formats', ['core']),
    only('sql', ['core', 'formats']),
    only('connectors', ['core', 'expr', 'formats', 'sql']),
    only('processors', ['core', 'expr']),
    only('engine', ['core', 'expr', 'formats', 'sql']),
    only('bus', ['core']),
    only('store', ['core']),
    only('scheduler', ['core', 'engine', 'store']),
    only('server', ['core', 'engine', 'store', 'scheduler', 'expr']),
    only('agent', ['core', 'engine', 'bus', 'store', 'scheduler']),
    {
      name: 'connectors-are-independent',
      comment: 'one connector folder never imports another (shared code belongs in core, formats or sql)',
      severity: 'error',
      from: { path: '^src/connectors/([^/]+)/' },
      to: { path: '^src/connectors/', pathNot: ['^src/connectors/$1/', '^src/connectors/index\\.ts$'] },
    },
    {
      name: 'registry-is-wired-by-cli',
      comment: 'the component lists (connectors/index.ts, processors/index.ts) are imported only by cli, server and agent wiring',
      severity: 'error',
      from: { path: '^src/(core|expr|formats|engine|processors|connectors)/' },
      to: { path: '^src/(connectors|processors)/index\\.ts$' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(\\.test\\.ts$|\\.generated\\.js$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
}
