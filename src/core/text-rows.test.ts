import { describe, expect, test } from 'vitest'
import type { Column } from './schema.js'
import { concatTextRows, decodeTextRows, escapeTextField, rowCount, textBatch, withoutText, type TextRows } from './text-rows.js'

const COLUMNS: Column[] = [
  { name: 'id', type: 'int' },
  { name: 'name', type: 'string' },
  { name: 'big', type: 'bigint' },
  { name: 'price', type: 'decimal', precision: 10, scale: 2 },
  { name: 'ratio', type: 'float' },
  { name: 'active', type: 'bool' },
  { name: 'day', type: 'date' },
  { name: 'at', type: 'timestamp' },
  { name: 'at_utc', type: 'timestamptz' },
  { name: 'clock', type: 'time' },
  { name: 'doc', type: 'json' },
  { name: 'blob', type: 'bytes' },
  { name: 'uid', type: 'uuid' },
]

function text(lines: string[]): TextRows {
  return { data: Buffer.from(lines.map((line) => `${line}\n`).join('')), count: lines.length }
}

describe('text rows', () => {
  test('decode every logical type to the values rows hold', () => {
    const rows = decodeTextRows(
      text([
        '1\ta\\tb\\nc\\\\d 😀\t9007199254740993\t12.50\t0.1\tt\t2024-02-29\t2024-02-29 13:45:00.500000\t2024-02-29 13:45:00+00\t24:00:00\t{"a":[1,2]}\t\\\\x00ff0a\t0E8400E2-9B1D-41D4-A716-446655440000',
        '\\N\t\\N\t\\N\t\\N\t\\N\tf\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N',
      ]),
      COLUMNS,
    )
    expect(rows[0]).toEqual([
      1,
      'a\tb\nc\\d 😀',
      9007199254740993n,
      '12.50',
      0.1,
      true,
      '2024-02-29',
      '2024-02-29T13:45:00.5',
      '2024-02-29T13:45:00Z',
      '24:00:00',
      { a: [1, 2] },
      Buffer.from([0, 255, 10]),
      '0e8400e2-9b1d-41d4-a716-446655440000',
    ])
    expect(rows[1]).toEqual([null, null, null, null, null, false, null, null, null, null, null, null, null])
  })

  test('a line with too few or too many fields is an error naming the line', () => {
    const two: Column[] = COLUMNS.slice(0, 2)
    expect(() => decodeTextRows(text(['1\tx', '2']), two)).toThrow(/line 2 does not have 2 fields/)
    expect(() => decodeTextRows(text(['1\tx\ty']), two)).toThrow(/line 1 does not have 2 fields/)
    expect(() => decodeTextRows({ data: Buffer.from('1\tx\n'), count: 2 }, two)).toThrow(/2 rows announced, 1 found/)
  })

  test('a text batch decodes its rows only when they are read, once', () => {
    const schema = { columns: COLUMNS.slice(0, 2) }
    const batch = textBatch(schema, text(['1\tone', '2\ttwo']), { position: 7 })
    expect(rowCount(batch)).toBe(2)
    expect(batch.position).toBe(7)
    const rows = batch.rows
    expect(rows).toEqual([
      [1, 'one'],
      [2, 'two'],
    ])
    expect(batch.rows).toBe(rows)
    const plain = withoutText(batch)
    expect(plain.text).toBeUndefined()
    expect(plain.rows).toBe(rows)
    expect(plain.position).toBe(7)
  })

  test('escapes round-trip and parts join in order', () => {
    const value = 'tab\there\nnew\rline\\slash'
    const joined = concatTextRows([text([`1\t${escapeTextField(value)}`]), text(['2\tb', '3\tc'])])
    expect(joined.count).toBe(3)
    expect(decodeTextRows(joined, COLUMNS.slice(0, 2))).toEqual([
      [1, value],
      [2, 'b'],
      [3, 'c'],
    ])
  })
})
