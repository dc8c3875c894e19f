import { describe, expect, test } from 'vitest'
import { decodeTextRows } from '../../core/text-rows.js'
import type { Column } from '../../core/schema.js'
import { CopyTextWriter, isTimeOfDayBytes, isValidDateBytes, packetValues, textKindOf, type TextKind } from './mysql-copy-text.js'
import type { ConvertedColumn } from './mysql-row-converter.js'
import type { ReadKind } from './mysql-types.js'

/** A text-protocol row packet's payload: each value length-encoded, NULL as 0xfb. */
function packet(values: readonly (string | Buffer | null)[]): Buffer {
  const parts: Buffer[] = []
  for (const value of values) {
    if (value === null) {
      parts.push(Buffer.from([0xfb]))
      continue
    }
    const bytes = typeof value === 'string' ? Buffer.from(value) : value
    const n = bytes.length
    const prefix = n < 0xfb ? Buffer.from([n]) : n < 0x10000 ? Buffer.from([0xfc, n & 0xff, n >> 8]) : Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16])
    parts.push(prefix, bytes)
  }
  // Bytes before and after, as in a socket chunk holding several packets.
  return Buffer.concat([Buffer.from([1, 2, 3]), ...parts, Buffer.from([9, 9])])
}

function write(kinds: TextKind[], values: (string | Buffer | null)[], zeroDates: 'null' | 'error' = 'null'): { ok: boolean; text: string } {
  const writer = new CopyTextWriter(kinds, { zeroDates }, 16)
  const bytes = packet(values)
  const ok = writer.row(bytes, 3, bytes.length - 2)
  return { ok, text: writer.take().data.toString('utf8') }
}

describe('MySQL row packets into text rows', () => {
  test('values are copied with escapes; NULL, booleans, zero dates, timestamps and bytes as text rows say', () => {
    const { ok, text } = write(
      ['copy', 'copy', 'bool', 'bool', 'bool', 'date', 'datetime', 'timestamptz', 'time', 'bytes', 'copy'],
      ['42', 'a\tb\nc\rd\\e 😀', '0', '1', '5', '0000-00-00', '2024-02-30 10:00:00', '2024-02-29 13:45:00.500000', '24:00:00', Buffer.from([0, 9, 255]), null],
    )
    expect(ok).toBe(true)
    expect(text).toBe('42\ta\\tb\\nc\\rd\\\\e 😀\tf\tt\tt\t\\N\t\\N\t2024-02-29 13:45:00.500000+00\t24:00:00\t\\\\x0009ff\t\\N\n')
  })

  test('a zero date with zero_dates: error, and a TIME outside a day, refuse the row and write nothing', () => {
    const writer = new CopyTextWriter(['copy', 'date'], { zeroDates: 'error' })
    const good = packet(['1', '2024-01-31'])
    const zero = packet(['2', '2024-00-10'])
    expect(writer.row(good, 3, good.length - 2)).toBe(true)
    expect(writer.row(zero, 3, zero.length - 2)).toBe(false)
    expect(write(['time'], ['-01:00:00']).ok).toBe(false)
    expect(write(['time'], ['838:59:59']).ok).toBe(false)
    expect(write(['time'], ['24:00:01']).ok).toBe(false)
    const { data, count, last } = writer.take()
    expect(count).toBe(1)
    expect(data.toString()).toBe('1\t2024-01-31\n')
    expect(last?.toString()).toBe('1\t2024-01-31\n')
  })

  test('long values (2- and 3-byte lengths) and a growing buffer', () => {
    const long = 'x'.repeat(70_000)
    const medium = 'y\t'.repeat(300)
    const { text } = write(['copy', 'copy'], [long, medium])
    expect(text).toBe(`${long}\t${'y\\t'.repeat(300)}\n`)
  })

  test('the text decodes to what the row converter gives', () => {
    const columns: Column[] = [
      { name: 'id', type: 'int' },
      { name: 'ok', type: 'bool' },
      { name: 'at', type: 'timestamptz' },
      { name: 'raw', type: 'bytes' },
    ]
    const { text } = write(['copy', 'bool', 'timestamptz', 'bytes'], ['-7', '0', '2000-01-01 00:00:00', Buffer.from('\\\n')])
    expect(decodeTextRows({ data: Buffer.from(text), count: 1 }, columns)).toEqual([[-7, false, '2000-01-01T00:00:00Z', Buffer.from('\\\n')]])
  })

  test('date and time checks match MySQL values Fustor has', () => {
    const at = (text: string) => isValidDateBytes(Buffer.from(text), 0)
    expect([at('2024-02-29'), at('2023-02-29'), at('2024-04-31'), at('0000-01-01'), at('2024-13-01'), at('2024-12-31')]).toEqual([true, false, false, false, false, true])
    const time = (text: string) => isTimeOfDayBytes(Buffer.from(text), 0, text.length)
    expect([time('00:00:00'), time('23:59:59.999999'), time('24:00:00.000000'), time('24:00:00.1'), time('-00:00:01')]).toEqual([true, true, true, false, false])
  })

  test('columns without a text form, or read as another type, make the read give rows', () => {
    const column = (kind: ReadKind, type: Column['type'], wanted: Column['type'] = type): ConvertedColumn => ({ kind, natural: { name: 'c', type }, wanted: { name: 'c', type: wanted } })
    expect(textKindOf(column('value', 'string'))).toBe('copy')
    expect(textKindOf(column('jsonText', 'json'))).toBe('copy')
    expect(textKindOf(column('bitBigint', 'bigint'))).toBeUndefined()
    expect(textKindOf(column('geometry', 'bytes'))).toBeUndefined()
    expect(textKindOf(column('value', 'json'))).toBeUndefined()
    expect(textKindOf(column('value', 'int', 'string'))).toBeUndefined()
  })

  test('a refused row gives its values as mysql2 would', () => {
    const columns: ConvertedColumn[] = [
      { kind: 'value', natural: { name: 'id', type: 'int' }, wanted: { name: 'id', type: 'int' } },
      { kind: 'date', natural: { name: 'd', type: 'date' }, wanted: { name: 'd', type: 'date' } },
      { kind: 'bytes', natural: { name: 'b', type: 'bytes' }, wanted: { name: 'b', type: 'bytes' } },
      { kind: 'bool', natural: { name: 'f', type: 'bool' }, wanted: { name: 'f', type: 'bool' } },
    ]
    const bytes = packet(['3', '0000-00-00', Buffer.from([7]), null])
    expect(packetValues(bytes, 3, columns)).toEqual([3, '0000-00-00', Buffer.from([7]), null])
  })
})
