import { describe, expect, it } from 'vitest'
import { ConfigError, FatalError } from '../../core/errors.js'
import { toEpochMicros } from '../../core/temporal.js'
import { formatValue, isValueOfType } from '../../core/values.js'
import { configure, inputContext, readAll } from '../../../test/component-harness.js'
import type { Position } from '../../core/batch.js'
import type { Row, Schema } from '../../core/schema.js'
import { GenerateReader, generateInput, SPLIT_ROWS } from './generate-input.js'

function reader(raw: Record<string, unknown>, overrides: Parameters<typeof inputContext>[0] = {}) {
  return generateInput.create(configure(generateInput, raw), inputContext(overrides))
}

describe('generate input', () => {
  it('generates the users table with the documented first rows for seed 42', async () => {
    const result = await readAll(reader({ count: 3 }))
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'id:int',
      'name:string',
      'email:string',
      'age:int',
      'country:string',
      'city:string',
      'score:decimal',
      'active:bool',
      'created_at:timestamp',
    ])
    expect(result.rows).toEqual([
      [1, 'Emma Okafor', 'emma.okafor1@example.net', 86, 'AU', 'Perth', '58.13', true, '2021-04-05T11:48:46'],
      [2, 'Bo Patel', 'bo.patel2@example.net', 40, 'PL', 'Warsaw', '87.91', false, '2020-03-23T03:00:48'],
      [3, 'Emma Dubois', 'emma.dubois3@example.com', 52, 'ES', 'Madrid', '57.43', true, '2022-11-21T10:05:50'],
    ])
  })

  it('generates orders and events with their documented shapes', async () => {
    const orders = await readAll(reader({ preset: 'orders', count: 1 }))
    expect(orders.rows).toEqual([[1, 22873, 'headphones', 7, '79.95', '559.65', 'GBP', 'cancelled', '2022-08-10T15:52:59Z']])
    const events = await readAll(reader({ preset: 'events', count: 2 }))
    expect(events.rows).toEqual([
      ['213f80f9-7ede-4310-9602-7df9b102c2b0', 2288, 'click', '/signup', 28222, { browser: 'edge', platform: 'windows', mobile: false }, '2024-01-01T00:00:00.043Z'],
      ['9c37d14c-124b-4f15-b864-2172fa1e24b6', 1100, 'page_view', '/products', 9384, { browser: 'chrome', platform: 'ios', mobile: false }, '2024-01-01T00:00:00.121Z'],
    ])
  })

  it.each(['users', 'orders', 'events'])('holds every %s value in the in-memory form of its type, within range', async (preset) => {
    const result = await readAll(reader({ preset, count: 5000, seed: 3 }))
    const schema = result.schema!
    expect(schema).toBe(generateInput.staticSchema!(configure(generateInput, { preset })))
    for (const row of result.rows) {
      expect(row).toHaveLength(schema.columns.length)
      schema.columns.forEach((column, i) => {
        if (!isValueOfType(row[i], column.type)) throw new Error(`${column.name} ${String(row[i])} is not a ${column.type}`)
      })
    }
    if (preset === 'users') {
      expect(result.rows.map((row) => row[0])).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1))
      for (const [, , email, age, country, , score, , createdAt] of result.rows) {
        expect(email).toMatch(/^[a-z]+\.[a-z]+\d+@[a-z.]+$/)
        expect(age).toBeGreaterThanOrEqual(18)
        expect(age).toBeLessThanOrEqual(90)
        expect(country).toMatch(/^[A-Z]{2}$/)
        expect(Number(score)).toBeGreaterThanOrEqual(0)
        expect(Number(score)).toBeLessThanOrEqual(100)
        expect((createdAt as string) >= '2020-01-01T00:00:00' && (createdAt as string) < '2026-01-01T00:00:00').toBe(true)
      }
      const csvBytes = result.rows.reduce((sum, row) => sum + row.map((v) => formatValue(v!)).join(',').length + 1, 0)
      expect(csvBytes / result.rows.length).toBeGreaterThan(80)
      expect(csvBytes / result.rows.length).toBeLessThan(110)
      expect(new Set(result.rows.map((row) => row[4])).size).toBe(20)
    }
    if (preset === 'orders') {
      for (const [, , , quantity, unitPrice, total] of result.rows) {
        expect(Math.round(Number(unitPrice) * 100) * (quantity as number)).toBe(Math.round(Number(total) * 100))
      }
    }
    if (preset === 'events') {
      const times = result.rows.map((row) => toEpochMicros(row[6] as string)!)
      expect([...times].sort((a, b) => a - b)).toEqual(times)
    }
  })

  it('ends bounded runs with positions after each batch', async () => {
    const result = await readAll(reader({ count: 2500 }, { batchSize: 1000 }))
    expect(result.batches.map((batch) => batch.rows.length)).toEqual([1000, 1000, 500])
    expect(result.positions).toEqual([{ next: 1000 }, { next: 2000 }, { next: 2500 }])
    expect(reader({ count: 2500 }).progress?.()).toEqual({ rowsTotal: 2500 })
    expect(reader({}).progress?.()).toEqual({})
  })

  it('reproduces exactly the remaining rows when resumed from a position', async () => {
    for (const preset of ['users', 'orders', 'events']) {
      const full = await readAll(reader({ preset, count: 3000, seed: 9 }, { batchSize: 700 }))
      const resumed = await readAll(reader({ preset, count: 3000, seed: 9 }, { batchSize: 300, resumeFrom: { next: 1234 } }))
      expect(resumed.rows).toEqual(full.rows.slice(1234))
      expect(resumed.positions.at(-1)).toEqual({ next: 3000 })
    }
  })

  it('gives the same rows for the same seed and different rows for another', async () => {
    const a = await readAll(reader({ count: 50, seed: 1 }))
    const b = await readAll(reader({ count: 50, seed: 1 }))
    const c = await readAll(reader({ count: 50, seed: 2 }))
    expect(b.rows).toEqual(a.rows)
    expect(c.rows.map((row) => row[1])).not.toEqual(a.rows.map((row) => row[1]))
  })

  it('produces nothing for count 0 and for a position at the end', async () => {
    expect((await readAll(reader({ count: 0 }))).rows).toEqual([])
    expect((await readAll(reader({ count: 10 }, { resumeFrom: { next: 10 } }))).rows).toEqual([])
  })

  it('runs endlessly without count and stops when the signal aborts', async () => {
    const controller = new AbortController()
    const input = reader({}, { signal: controller.signal, batchSize: 10 })
    await input.open()
    expect((await input.read())?.rows).toHaveLength(10)
    expect((await input.read())?.position).toEqual({ next: 20 })
    controller.abort()
    expect(await input.read()).toBeNull()
    await input.close()
  })

  it('trickles rows at the configured rate in batches delivered within linger_ms', async () => {
    const started = performance.now()
    const result = await readAll(reader({ count: 12, rate: 200 }, { batchSize: 1000, lingerMs: 10 }))
    const elapsedMs = performance.now() - started
    expect(result.rows).toHaveLength(12)
    // Row k is due at k/200 s: the last one at 55 ms. Small batches, never the whole run at once.
    expect(elapsedMs).toBeGreaterThanOrEqual(45)
    expect(result.batches.length).toBeGreaterThanOrEqual(3)
    expect(Math.max(...result.batches.map((batch) => batch.rows.length))).toBeLessThanOrEqual(6)
  })

  it('stops a paced read promptly when the signal aborts', async () => {
    const controller = new AbortController()
    const input = reader({ rate: 0.1 }, { signal: controller.signal })
    await input.open()
    const started = performance.now()
    expect((await input.read())?.rows).toHaveLength(1)
    expect(performance.now() - started).toBeLessThan(1000)
    const pending = input.read()
    setTimeout(() => controller.abort(), 20)
    expect(await pending).toBeNull()
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('refuses a position it did not write', async () => {
    const input = reader({ count: 10 }, { resumeFrom: { offset: 3 } })
    await expect(input.open()).rejects.toThrow(FatalError)
    await expect(input.open()).rejects.toMatchObject({ code: 'generate.invalid_position' })
  })

  it('reports config mistakes with their path', () => {
    const unknownPreset = (() => {
      try {
        configure(generateInput, { preset: 'user' })
      } catch (error) {
        return error
      }
    })() as ConfigError
    expect(unknownPreset).toBeInstanceOf(ConfigError)
    expect(unknownPreset.path).toBe('preset')
    expect(unknownPreset.message).toContain('did you mean "users"?')
    expect(() => configure(generateInput, { count: -1 })).toThrow(expect.objectContaining({ path: 'count' }))
    expect(() => configure(generateInput, { rate: 0 })).toThrow(expect.objectContaining({ path: 'rate' }))
    expect(configure(generateInput, {})).toEqual({ preset: 'users', seed: 42 })
  })

  describe('splits', () => {
    async function viaSplits(raw: Record<string, unknown>, splitRows: number, resumeFrom?: Position, batchSize = 7) {
      const cfg = configure(generateInput, raw)
      const input = new GenerateReader(cfg, inputContext({ resumeFrom }), splitRows)
      await input.open()
      const source = input.splits()!
      const result = { rows: [] as Row[], positions: [] as Position[], schemas: new Set<Schema>() }
      for (let split = await source.next(); split; split = await source.next()) {
        const crossed = { payload: structuredClone(split.payload), context: structuredClone(split.context) }
        generateInput.decodeSplit!(cfg, crossed, batchSize, {
          rows(batch) {
            expect(batch.rows.length).toBeLessThanOrEqual(batchSize)
            result.rows.push(...batch.rows)
            result.schemas.add(batch.schema)
          },
          rejected() {
            throw new Error('generate rejects nothing')
          },
        })
        result.positions.push(split.position)
      }
      await input.close()
      return result
    }

    it.each(['users', 'orders', 'events'])('give the %s rows read() gives, also from a resume position', async (preset) => {
      for (const count of [0, 1, 25, 100]) {
        const raw = { preset, count, seed: 9 }
        const expected = await readAll(reader(raw, { batchSize: 1 }))
        for (const splitRows of [1, 10, 33, 1000]) {
          const actual = await viaSplits(raw, splitRows)
          expect(actual.rows).toEqual(expected.rows)
          expect(actual.positions).toEqual(actual.positions.map((_, i) => expected.positions[Math.min(count, (i + 1) * splitRows) - 1]))
          // One schema object for every batch, as read() gives: processors prepare once.
          expect(actual.schemas.size).toBeLessThanOrEqual(1)
        }
        for (const next of [0, 7, count]) {
          if (next > count) continue
          const rest = await readAll(reader(raw, { resumeFrom: { next } }))
          expect((await viaSplits(raw, 10, { next })).rows).toEqual(rest.rows)
        }
      }
    })

    it(`hold ${SPLIT_ROWS} rows each, and none with rate, whose pacing needs one clock`, async () => {
      const input = generateInput.create(configure(generateInput, { count: 25_000 }), inputContext())
      await input.open()
      const source = input.splits!()!
      expect((await source.next())?.payload).toEqual({ from: 0, to: SPLIT_ROWS })
      expect((await source.next())?.payload).toEqual({ from: SPLIT_ROWS, to: 2 * SPLIT_ROWS })
      expect(await source.next()).toMatchObject({ payload: { from: 2 * SPLIT_ROWS, to: 25_000 }, context: { preset: 'users', seed: 42 }, position: { next: 25_000 } })
      expect(await source.next()).toBeNull()
      const paced = reader({ count: 10, rate: 100 })
      await paced.open()
      expect(paced.splits!()).toBeUndefined()
    })
  })
})
