/**
 * The `generate` input: seeded synthetic rows for demos, tests and benchmarks.
 *
 * Every row is a pure function of (seed, row index): nothing is carried from one row to the next,
 * so resuming from position `{ next: k }` reproduces exactly rows k.. of an uninterrupted run, and
 * memory stays flat however many rows are generated (invariant 2: rows are built per batch and
 * handed over, nothing is retained).
 *
 * Parallel runs take it in splits of row ranges (`{from, to}`) that worker threads generate with
 * `decodeSplit`: the same rows, since each depends only on its index.
 */
import Type, { type Static } from 'typebox'
import type { InputBatch } from '../../core/batch.js'
import { sleep } from '../../core/backoff.js'
import { defineInput, type Input, type InputContext, type InputProgress, type InputSplit, type SplitSource } from '../../core/component.js'
import { FatalError } from '../../core/errors.js'
import type { Row, Schema } from '../../core/schema.js'
import { civilFromDays, daysFromCivil, epochMicrosToTimestamptz } from '../../core/temporal.js'
import { INT_MAX } from '../../core/values.js'

const PRESET_NAMES = ['users', 'orders', 'events'] as const
type PresetName = (typeof PRESET_NAMES)[number]

const config = Type.Object({
  preset: Type.Enum(
    [...PRESET_NAMES],
    {
      description:
        'Which table to generate: `users` (id, name, email, age, country, city, score, active, created_at), ' +
        '`orders` (order_id, user_id, product, quantity, unit_price, total, currency, status, ordered_at) or ' +
        '`events` (event_id, user_id, event_type, page, duration_ms, properties, occurred_at; occurred_at rises 100 ms per row from 2024-01-01).',
      default: 'users',
    },
  ),
  count: Type.Optional(
    Type.Integer({
      description: 'Number of rows to generate. Omit for an endless stream (it stops after 2,147,483,647 rows, the range of the int id).',
      minimum: 0,
      maximum: INT_MAX,
      examples: [1000, 1_000_000],
    }),
  ),
  seed: Type.Integer({ description: 'Seed: the same seed always gives the same rows.', default: 42 }),
  rate: Type.Optional(
    Type.Number({
      description: 'Rows per second at most, to make a trickle for streaming demos. Omit to generate as fast as possible.',
      exclusiveMinimum: 0,
      examples: [10, 5000],
    }),
  ),
})

/** Where a resumed run continues: the index of the next row to generate (0-based). */
interface GeneratePosition {
  readonly next: number
}

/** Rows per split of a parallel run: about 1 MiB of users as CSV, so that generating and encoding a
 * split dwarfs handing it to a worker. */
export const SPLIT_ROWS = 10_000

/** A split's payload: rows `from` .. `to - 1`. */
interface RowRange {
  readonly from: number
  readonly to: number
}

interface GenerateSplitContext {
  readonly preset: PresetName
  readonly seed: number
}

// ----------------------------------------------------------------------------------------- randomness

const GOLDEN = 0x9e3779b9

/** A 32-bit integer hash with good avalanche (Wellons' lowbias32): each draw is hash(row, k). */
function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/** The base hash of row `index` under `seedHash`; indexes above 2^32 fold in their high word. */
function rowHash(seedHash: number, index: number): number {
  const low = index % 4294967296
  const high = (index - low) / 4294967296
  return mix32(seedHash ^ mix32((low + Math.imul(high, GOLDEN)) | 0))
}

/** Draw number `k` of a row: an unsigned 32-bit value. */
function draw(hash: number, k: number): number {
  return mix32((hash + Math.imul(k, GOLDEN)) | 0)
}

/** A draw scaled to [0, n). */
function below(hash: number, k: number, n: number): number {
  return Math.floor((draw(hash, k) * n) / 4294967296)
}

// ------------------------------------------------------------------------------------- lookup tables

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)))
const NUMBERS = Array.from({ length: 101 }, (_, i) => String(i))
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

const FIRST_NAMES = [
  'Ada', 'Alan', 'Alice', 'Amir', 'Ana', 'Bo', 'Carla', 'Chen', 'Dara', 'David', 'Elena', 'Emma', 'Felix', 'Fatima', 'Grace',
  'Hana', 'Hugo', 'Ines', 'Ivan', 'Jack', 'Jin', 'Kai', 'Karin', 'Lars', 'Lea', 'Liam', 'Lucia', 'Malik', 'Maria', 'Mateo',
  'Mei', 'Nina', 'Noah', 'Olga', 'Omar', 'Paul', 'Priya', 'Rosa', 'Sam', 'Sara', 'Sven', 'Tariq', 'Tom', 'Uma', 'Vera',
  'Wei', 'Yara', 'Yuki', 'Zoe', 'Zane',
]
const LAST_NAMES = [
  'Adams', 'Berg', 'Costa', 'Dubois', 'Ekström', 'Fischer', 'García', 'Hughes', 'Ivanova', 'Jensen', 'Kim', 'Lopez', 'Moreau',
  'Nakamura', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Quinn', 'Rossi', 'Santos', 'Schmidt', 'Silva', 'Smith', 'Tanaka', 'Tran',
  'Urban', 'Varga', 'Wagner', 'Wang', 'Weber', 'Xu', 'Yilmaz', 'Young', 'Zhang', 'Zimmer',
]
const EMAIL_DOMAINS = ['@example.com', '@example.org', '@example.net', '@mail.test']
// Names and e-mail prefixes per (first, last) pair, built once: a row then costs lookups, not concatenations.
const FULL_NAMES = FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => `${first} ${last}`))
const EMAIL_PREFIXES = FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => `${asciiLower(first)}.${asciiLower(last)}`))

function asciiLower(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
}

/** Country code and a few of its cities; a user's city is always one of its country's. */
const PLACES: readonly (readonly [string, readonly string[]])[] = [
  ['US', ['New York', 'Chicago', 'Austin', 'Seattle', 'Boston']],
  ['GB', ['London', 'Leeds', 'Glasgow']],
  ['DE', ['Berlin', 'Hamburg', 'Munich', 'Cologne']],
  ['FR', ['Paris', 'Lyon', 'Lille', 'Nantes']],
  ['ES', ['Madrid', 'Seville', 'Valencia']],
  ['IT', ['Rome', 'Milan', 'Turin']],
  ['NL', ['Amsterdam', 'Utrecht']],
  ['SE', ['Stockholm', 'Malmö']],
  ['PL', ['Warsaw', 'Kraków', 'Gdańsk']],
  ['BR', ['São Paulo', 'Recife', 'Curitiba']],
  ['MX', ['Mexico City', 'Monterrey']],
  ['CA', ['Toronto', 'Montreal', 'Calgary']],
  ['JP', ['Tokyo', 'Osaka', 'Sapporo']],
  ['CN', ['Shanghai', 'Beijing', 'Shenzhen', 'Chengdu']],
  ['IN', ['Mumbai', 'Delhi', 'Pune', 'Chennai']],
  ['KR', ['Seoul', 'Busan']],
  ['AU', ['Sydney', 'Perth', 'Brisbane']],
  ['NG', ['Lagos', 'Abuja']],
  ['ZA', ['Cape Town', 'Durban']],
  ['EG', ['Cairo', 'Giza']],
]
const COUNTRIES = PLACES.map(([code]) => code)
const CITIES = PLACES.map(([, cities]) => cities)

/** `YYYY-MM-DDT` of each day of 2020-2025, so that a timestamp costs two lookups and a few concatenations. */
const FIRST_DAY = daysFromCivil(2020, 1, 1)
const DAY_COUNT = daysFromCivil(2026, 1, 1) - FIRST_DAY
const DAY_PREFIXES = Array.from({ length: DAY_COUNT }, (_, i) => {
  const { year, month, day } = civilFromDays(FIRST_DAY + i)
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T`
})
const SECONDS_IN_RANGE = DAY_COUNT * 86_400
const TIMES_OF_DAY = Array.from({ length: 86_400 }, (_, second) => {
  return `${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}`
})
/** 0.00 .. 100.00 */
const SCORES = Array.from({ length: 10_001 }, (_, hundredths) => `${NUMBERS[Math.floor(hundredths / 100)]}.${TWO_DIGITS[hundredths % 100]}`)

const PRODUCTS: readonly (readonly [string, number])[] = [
  ['keyboard', 4999],
  ['mouse', 1999],
  ['monitor', 18999],
  ['laptop stand', 3450],
  ['usb-c cable', 899],
  ['headphones', 7995],
  ['webcam', 5900],
  ['desk lamp', 2750],
  ['notebook', 399],
  ['chair', 24900],
  ['microphone', 10900],
  ['docking station', 15999],
]
const UNIT_PRICES = PRODUCTS.map(([, price]) => cents(price))
/** Totals per product and quantity (1-10), exact in cents. */
const TOTALS = PRODUCTS.map(([, price]) => Array.from({ length: 11 }, (_, quantity) => cents(price * quantity)))
const CURRENCIES = ['EUR', 'USD', 'GBP']
const ORDER_STATUSES = ['pending', 'paid', 'paid', 'shipped', 'shipped', 'delivered', 'delivered', 'delivered', 'cancelled', 'refunded']

const EVENT_TYPES = ['page_view', 'page_view', 'page_view', 'page_view', 'click', 'click', 'search', 'add_to_cart', 'purchase', 'signup']
const PAGES = ['/', '/pricing', '/docs', '/docs/getting-started', '/blog', '/login', '/signup', '/products', '/cart', '/checkout']
const BROWSERS = ['firefox', 'chrome', 'safari', 'edge']
const PLATFORMS = ['linux', 'macos', 'windows', 'android', 'ios']
const EVENTS_START_MS = daysFromCivil(2024, 1, 1) * 86_400_000
/** `.123`, `.12`, `.1` or nothing: milliseconds as a normalized fraction (trailing zeros removed, schema.ts). */
const MILLIS_FRACTIONS = Array.from({ length: 1000 }, (_, ms) => (ms === 0 ? '' : `.${String(ms).padStart(3, '0').replace(/0+$/, '')}`))

/** The timestamptz text of an epoch time in milliseconds, from tables while it falls in 2020-2025. */
function timestamptzOfMs(epochMs: number): string {
  const epochDay = Math.floor(epochMs / 86_400_000)
  const day = epochDay - FIRST_DAY
  if (day < 0 || day >= DAY_COUNT) return epochMicrosToTimestamptz(epochMs * 1000)
  const inDayMs = epochMs - epochDay * 86_400_000
  const second = Math.floor(inDayMs / 1000)
  return DAY_PREFIXES[day] + TIMES_OF_DAY[second] + MILLIS_FRACTIONS[inDayMs - second * 1000] + 'Z'
}

// ------------------------------------------------------------------------------------------- presets

interface Preset {
  readonly schema: Schema
  /** Fills `rows` with rows `from` .. `from + rows.length - 1`. */
  fill(rows: Row[], from: number, seedHash: number): void
}

function timestampIn2020To2025(hash: number, k: number): string {
  const second = below(hash, k, SECONDS_IN_RANGE)
  const day = Math.floor(second / 86_400)
  return DAY_PREFIXES[day] + TIMES_OF_DAY[second - day * 86_400]
}

/** A price in cents as a decimal with two digits after the point. */
function cents(value: number): string {
  const whole = Math.floor(value / 100)
  return `${whole}.${TWO_DIGITS[value - whole * 100]}`
}

const users: Preset = {
  schema: {
    columns: [
      { name: 'id', type: 'int', nullable: false },
      { name: 'name', type: 'string' },
      { name: 'email', type: 'string' },
      { name: 'age', type: 'int' },
      { name: 'country', type: 'string' },
      { name: 'city', type: 'string' },
      { name: 'score', type: 'decimal', precision: 5, scale: 2 },
      { name: 'active', type: 'bool' },
      { name: 'created_at', type: 'timestamp' },
    ],
    primaryKey: ['id'],
  },
  fill(rows, from, seedHash) {
    for (let i = 0; i < rows.length; i++) {
      const index = from + i
      const hash = rowHash(seedHash, index)
      const id = index + 1
      const person = below(hash, 1, FULL_NAMES.length)
      const place = below(hash, 5, COUNTRIES.length)
      const cities = CITIES[place]
      rows[i] = [
        id,
        FULL_NAMES[person],
        EMAIL_PREFIXES[person] + id + EMAIL_DOMAINS[below(hash, 3, EMAIL_DOMAINS.length)],
        18 + below(hash, 4, 73),
        COUNTRIES[place],
        cities[below(hash, 6, cities.length)],
        SCORES[below(hash, 7, 10_001)],
        draw(hash, 8) < 0xb0000000,
        timestampIn2020To2025(hash, 9),
      ]
    }
  },
}

const orders: Preset = {
  schema: {
    columns: [
      { name: 'order_id', type: 'int', nullable: false },
      { name: 'user_id', type: 'int' },
      { name: 'product', type: 'string' },
      { name: 'quantity', type: 'int' },
      { name: 'unit_price', type: 'decimal', precision: 10, scale: 2 },
      { name: 'total', type: 'decimal', precision: 12, scale: 2 },
      { name: 'currency', type: 'string' },
      { name: 'status', type: 'string' },
      { name: 'ordered_at', type: 'timestamptz' },
    ],
    primaryKey: ['order_id'],
  },
  fill(rows, from, seedHash) {
    for (let i = 0; i < rows.length; i++) {
      const index = from + i
      const hash = rowHash(seedHash, index)
      const product = below(hash, 2, PRODUCTS.length)
      const quantity = 1 + below(hash, 3, 10)
      rows[i] = [
        index + 1,
        1 + below(hash, 1, 100_000),
        PRODUCTS[product][0],
        quantity,
        UNIT_PRICES[product],
        TOTALS[product][quantity],
        CURRENCIES[below(hash, 4, CURRENCIES.length)],
        ORDER_STATUSES[below(hash, 5, ORDER_STATUSES.length)],
        timestampIn2020To2025(hash, 6) + 'Z',
      ]
    }
  },
}

function uuidOf(hash: number): string {
  const a = draw(hash, 11)
  const b = draw(hash, 12)
  const c = draw(hash, 13)
  const d = draw(hash, 14)
  return (
    HEX_BYTE[a >>> 24] + HEX_BYTE[(a >>> 16) & 255] + HEX_BYTE[(a >>> 8) & 255] + HEX_BYTE[a & 255] + '-' +
    HEX_BYTE[b >>> 24] + HEX_BYTE[(b >>> 16) & 255] + '-4' +
    HEX_BYTE[(b >>> 8) & 15].slice(1) + HEX_BYTE[b & 255] + '-' +
    HEX_BYTE[0x80 | ((c >>> 24) & 0x3f)] + HEX_BYTE[(c >>> 16) & 255] + '-' +
    HEX_BYTE[(c >>> 8) & 255] + HEX_BYTE[c & 255] +
    HEX_BYTE[d >>> 24] + HEX_BYTE[(d >>> 16) & 255] + HEX_BYTE[(d >>> 8) & 255] + HEX_BYTE[d & 255]
  )
}

const events: Preset = {
  schema: {
    columns: [
      { name: 'event_id', type: 'uuid', nullable: false },
      { name: 'user_id', type: 'int' },
      { name: 'event_type', type: 'string' },
      { name: 'page', type: 'string' },
      { name: 'duration_ms', type: 'int' },
      { name: 'properties', type: 'json' },
      { name: 'occurred_at', type: 'timestamptz' },
    ],
    primaryKey: ['event_id'],
  },
  fill(rows, from, seedHash) {
    for (let i = 0; i < rows.length; i++) {
      const index = from + i
      const hash = rowHash(seedHash, index)
      // Event time rises with the row index (100 ms apart, jitter below the spacing keeps the order),
      // so that windowed aggregations over it close windows as the stream advances.
      const occurredMs = EVENTS_START_MS + index * 100 + below(hash, 6, 100)
      rows[i] = [
        uuidOf(hash),
        1 + below(hash, 1, 10_000),
        EVENT_TYPES[below(hash, 2, EVENT_TYPES.length)],
        PAGES[below(hash, 3, PAGES.length)],
        below(hash, 4, 30_000),
        { browser: BROWSERS[below(hash, 5, BROWSERS.length)], platform: PLATFORMS[below(hash, 7, PLATFORMS.length)], mobile: below(hash, 8, 3) === 0 },
        timestamptzOfMs(occurredMs),
      ]
    }
  },
}

const PRESETS: Readonly<Record<PresetName, Preset>> = { users, orders, events }

// -------------------------------------------------------------------------------------------- reader

type GenerateConfig = Static<typeof config>

function startIndex(ctx: InputContext): number {
  const position = ctx.resumeFrom
  if (position === undefined) return 0
  const next = (position as { next?: unknown } | null)?.next
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0) {
    throw new FatalError('generate.invalid_position', `invalid generate position ${JSON.stringify(position)} (expected {"next": <row index>})`)
  }
  return next
}

function seedHashOf(seed: number): number {
  return mix32(seed ^ 0x5bd1e995)
}

export class GenerateReader implements Input {
  private readonly preset: Preset
  private readonly seedHash: number
  private readonly end: number
  private next = 0
  /** Pacing with `rate`: when pacing started and how many rows it has let through since. */
  private pacingStartMs: number | undefined
  private paced = 0

  /** @param splitRows rows per split of a parallel run (tests make it small) */
  constructor(
    private readonly config: GenerateConfig,
    private readonly ctx: InputContext,
    private readonly splitRows = SPLIT_ROWS,
  ) {
    this.preset = PRESETS[config.preset]
    this.seedHash = seedHashOf(config.seed)
    this.end = config.count ?? INT_MAX
  }

  async open(): Promise<void> {
    this.next = Math.min(startIndex(this.ctx), this.end)
  }

  async read(): Promise<InputBatch | null> {
    if (this.ctx.signal.aborted) return null
    let size = Math.min(Math.max(1, this.ctx.batchSize), this.end - this.next)
    if (size <= 0) return null
    if (this.config.rate !== undefined) {
      size = await this.pace(size, this.config.rate)
      if (size === 0) return null
    }
    const rows: Row[] = new Array(size)
    this.preset.fill(rows, this.next, this.seedHash)
    this.next += size
    return { schema: this.preset.schema, rows, position: { next: this.next } satisfies GeneratePosition }
  }

  /**
   * Waits until rows are due at `rate` per second, then up to `lingerMs` for more, and returns how
   * many to deliver (0 when stopping). A consumer slower than the rate gets at most one batch of
   * backlog at once rather than a burst.
   */
  private async pace(maxRows: number, rate: number): Promise<number> {
    const { signal, lingerMs } = this.ctx
    const now = performance.now()
    if (this.pacingStartMs === undefined) this.pacingStartMs = now
    const start = this.pacingStartMs
    // Row k is due k/rate seconds after pacing started: the first one at once.
    const dueBy = (timeMs: number): number => Math.floor(((timeMs - start) * rate) / 1000) + 1 - this.paced
    let due = dueBy(now)
    if (due > maxRows) {
      this.paced += due - maxRows
      due = maxRows
    }
    if (due < 1) {
      await sleep(start + (this.paced * 1000) / rate - now, signal)
      if (signal.aborted) return 0
    }
    const fullAt = start + ((this.paced + maxRows - 1) * 1000) / rate
    const lingerUntil = Math.min(performance.now() + lingerMs, fullAt)
    const wait = lingerUntil - performance.now()
    if (wait > 0) await sleep(wait, signal)
    if (signal.aborted) return 0
    const count = Math.min(maxRows, Math.max(1, dueBy(performance.now())))
    this.paced += count
    return count
  }

  /** Row ranges from the resume position on; undefined with `rate`, whose pacing needs one clock. */
  splits(): SplitSource | undefined {
    if (this.config.rate !== undefined) return undefined
    const context: GenerateSplitContext = { preset: this.config.preset, seed: this.config.seed }
    return {
      next: async (): Promise<InputSplit | null> => {
        if (this.ctx.signal.aborted || this.next >= this.end) return null
        const range: RowRange = { from: this.next, to: Math.min(this.end, this.next + this.splitRows) }
        this.next = range.to
        return { payload: { ...range }, context: { ...context }, position: { next: range.to } satisfies GeneratePosition, bytes: 0 }
      },
    }
  }

  progress(): InputProgress {
    return this.config.count === undefined ? {} : { rowsTotal: this.config.count }
  }

  async close(): Promise<void> {}
}

export const generateInput = defineInput({
  type: 'generate',
  status: 'stable',
  summary: 'Generates seeded synthetic rows (users, orders, events) for demos, tests and benchmarks',
  description: [
    'Rows are a pure function of the seed and the row index: the same config always produces the same',
    'rows, and a resumed run continues with exactly the rows an uninterrupted run would have produced.',
    'The position is `{"next": <row index>}`.',
    '',
    'Without `count` the stream is endless (up to 2,147,483,647 rows). With `rate` the rows trickle at',
    'that many per second, delivered in small batches within `settings.linger_ms`.',
    '',
    'The `users` table is about 100 bytes per row as CSV: `id` int (1..n), `name`, `email`, `age` int',
    '(18-90), `country` (ISO 3166 alpha-2), `city`, `score` decimal(5,2) (0-100), `active` bool and',
    '`created_at` timestamp (2020-2025).',
  ].join('\n'),
  categories: ['utility', 'testing'],
  config,
  staticSchema: (cfg) => PRESETS[cfg.preset].schema,
  examples: [
    {
      title: 'A million users, discarded',
      summary: 'Measures how fast a pipeline runs without any I/O.',
      yaml: `input:
  type: generate
  config:
    preset: users
    count: 1000000
    seed: 7
pipeline:
  processors: []
output:
  type: drop
  config: {}
`,
    },
    {
      title: 'A trickle of events to a file',
      summary: 'Twenty events per second for one second, for trying streaming pipelines.',
      yaml: `input:
  type: generate
  config:
    preset: events
    count: 20
    rate: 20
pipeline:
  processors: []
output:
  type: jsonl
  config:
    path: out/events.jsonl
`,
    },
  ],
  create: (cfg, ctx) => new GenerateReader(cfg, ctx),
  decodeSplit: (_cfg, split, batchSize, sink) => {
    const { preset: name, seed } = split.context as unknown as GenerateSplitContext
    const { from, to } = split.payload as unknown as RowRange
    const preset = PRESETS[name]
    const seedHash = seedHashOf(seed)
    const size = Math.max(1, batchSize)
    for (let start = from; start < to; start += size) {
      const rows: Row[] = new Array(Math.min(size, to - start))
      preset.fill(rows, start, seedHash)
      sink.rows({ schema: preset.schema, rows })
    }
  },
})
