// Expression evaluation rate: compiled expressions against hand-written JavaScript doing the same work
// (the ceiling for a row-at-a-time evaluator). Run: npm run build && node bench/expr.bench.mjs
// Prints rows/s per case and the ratio to the hand-written baseline; machines here are shared and
// noisy, so compare ratios rather than absolute rates.
import { compileCondition, compileExpression } from '../dist/expr/index.js'

const ROWS = Number(process.env.EXPR_BENCH_ROWS ?? 1_000_000)
const ROUNDS = Number(process.env.EXPR_BENCH_ROUNDS ?? 7)

const schema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'age', type: 'int' },
    { name: 'status', type: 'string' },
    { name: 'price', type: 'decimal' },
    { name: 'score', type: 'float' },
    { name: 'first_name', type: 'string' },
    { name: 'last_name', type: 'string' },
    { name: 'created_at', type: 'timestamp' },
  ],
}

const statuses = ['active', 'inactive', 'pending']
const rows = Array.from({ length: ROWS }, (_, i) => [
  i,
  i % 7 === 0 ? null : i % 90,
  statuses[i % 3],
  `${i % 1000}.${String(i % 100).padStart(2, '0')}`,
  (i % 1000) / 7,
  `name${i % 50}`,
  `last${i % 70}`,
  `2024-0${(i % 9) + 1}-1${i % 10}T10:00:00`,
])

/** [label, kind, source, hand-written equivalent or null]. */
const cases = [
  ['int comparison', 'condition', 'age > 18', (row) => row[1] !== null && row[1] > 18],
  ['int and string (filter)', 'condition', "age > 18 AND status = 'active'", (row) => row[1] !== null && row[1] > 18 && row[2] === 'active'],
  ['IN list', 'condition', "status IN ('active', 'pending')", (row) => row[2] === 'active' || row[2] === 'pending'],
  ['LIKE prefix', 'condition', "first_name LIKE 'name1%'", (row) => row[5] !== null && row[5].startsWith('name1')],
  ['timestamp vs literal', 'condition', "created_at >= '2024-05-01'", (row) => row[7] !== null && row[7] >= '2024-05-01T00:00:00'],
  ['decimal comparison', 'condition', 'price > 500.50', null],
  ['int arithmetic', 'expression', 'id * 2 + 1', (row) => row[0] * 2 + 1],
  ['float arithmetic', 'expression', 'score * 1.5e0 - 1', (row) => (row[4] === null ? null : row[4] * 1.5 - 1)],
  ['CONCAT', 'expression', "CONCAT(first_name, ' ', last_name)", (row) => `${row[5] ?? ''} ${row[6] ?? ''}`],
  ['CASE', 'expression', "CASE WHEN age < 18 THEN 'minor' WHEN age < 65 THEN 'adult' ELSE 'senior' END", null],
  ['decimal arithmetic', 'expression', 'price * 2', null],
  ['UPPER + SUBSTRING', 'expression', 'UPPER(SUBSTRING(status, 1, 3))', null],
]

function rate(fn) {
  const rates = []
  let sink = 0
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now()
    for (let i = 0; i < rows.length; i++) if (fn(rows[i])) sink++
    rates.push(rows.length / ((performance.now() - start) / 1000))
  }
  rates.sort((a, b) => a - b)
  if (sink < 0) console.log(sink)
  // The median of the rounds after the first (which includes JIT warm-up).
  const warm = rates.slice(0, -1).length > 0 ? rates.slice(1) : rates
  return warm[Math.floor(warm.length / 2)]
}

const format = (perSecond) => `${(perSecond / 1e6).toFixed(1).padStart(6)} M/s`

console.log(`expression evaluation, ${ROWS.toLocaleString('en')} rows, median of ${ROUNDS - 1} warm rounds`)
for (const [label, kind, source, baseline] of cases) {
  const compiled = kind === 'condition' ? compileCondition(source, schema).test : compileExpression(source, schema).evaluate
  const compiledRate = rate(compiled)
  const line = `${label.padEnd(26)} ${format(compiledRate)}`
  if (baseline === null) {
    console.log(line)
  } else {
    const baselineRate = rate(baseline)
    console.log(`${line}   hand-written ${format(baselineRate)}   ratio ${(compiledRate / baselineRate).toFixed(2)}`)
  }
}
