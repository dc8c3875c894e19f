/**
 * The COPY text encoder and decoder against each other, without a server (the server's side of
 * the same text is in postgresql-driver.integration.test.ts): every kind of value, NULL, every escape, non-ASCII
 * text and the fast paths of the generated code at every position in a row.
 */
import { describe, expect, it } from 'vitest'
import { RecordError } from '../../core/errors.js'
import type { Row } from '../../core/schema.js'
import { CopyChunks, copyRowWriter, escapeCopyText, type EncodeColumn } from '../../formats/copy-text-writer.js'
import { CopyRowDecoder, decodeText, unescapeCopyText, type DecodeColumn, type DecodedRows } from './copy-text-decoder.js'
import { formatArrayLiteral } from './array-literal.js'
import { LOGICAL_OF_KIND, ValueKind } from './postgresql-types.js'

/** The written column of a decoded kind. */
function written(kind: ValueKind, isArray?: boolean): EncodeColumn {
  return { type: LOGICAL_OF_KIND[kind], isArray }
}

/** The COPY text of rows, as the encoder writes it (in chunks of `chunkBytes`). */
function encode(rows: readonly Row[], columns: readonly EncodeColumn[], chunkBytes = 64): Buffer {
  const out = new CopyChunks(chunkBytes)
  const write = copyRowWriter(columns, formatArrayLiteral)
  for (const row of rows) write(row, out)
  return Buffer.concat(out.takeAll())
}

/** COPY text framed as the server sends it: one CopyData message per line. */
function frame(text: Buffer): Buffer {
  const parts: Buffer[] = []
  let start = 0
  for (let end = text.indexOf(10); end >= 0; end = text.indexOf(10, start)) {
    const header = Buffer.alloc(5)
    header[0] = 100
    header.writeInt32BE(end + 1 - start + 4, 1)
    parts.push(header, text.subarray(start, end + 1))
    start = end + 1
  }
  return Buffer.concat(parts)
}

function decode(text: Buffer, columns: readonly DecodeColumn[]): DecodedRows {
  const bytes = frame(text)
  const out: DecodedRows = { rows: [], rejected: [] }
  const end = new CopyRowDecoder(columns).decodeMessages(bytes, bytes.toString('latin1'), 0, out)
  expect(end).toBe(bytes.length)
  return out
}

function roundTrip(rows: readonly Row[], kinds: readonly ValueKind[]): Row[] {
  const columns = kinds.map((kind, i) => ({ name: `c${i}`, kind }))
  const decoded = decode(
    encode(
      rows,
      kinds.map((kind) => written(kind)),
    ),
    columns,
  )
  expect(decoded.rejected).toEqual([])
  return decoded.rows
}

const ALPHABET = ['a', 'Z', '0', ' ', '\\', '\t', '\n', '\r', '\b', '\f', '\v', 'N', '.', 'é', 'ń', '€', '😀', '"', "'", ',', '{', '}', '\u00a0']

function randomText(seed: number): string {
  let text = ''
  let x = seed
  const length = seed % 23
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    text += ALPHABET[x % ALPHABET.length]
  }
  return text
}

describe('COPY text', () => {
  it('round-trips every kind of value and NULL in every position', () => {
    const kinds = [ValueKind.int, ValueKind.bigint, ValueKind.decimal, ValueKind.float, ValueKind.bool, ValueKind.text, ValueKind.date, ValueKind.time, ValueKind.uuid, ValueKind.bytes]
    const value: Row = [-2147483648, -(2n ** 63n), '-12.50', -1.5e-300, true, 'tab\there', '0001-01-01', '23:59:59.999999', '123e4567-e89b-12d3-a456-426614174000', Buffer.from([0, 92, 10, 255])]
    const rows: Row[] = [value, value.map(() => null), [2147483647, 2n ** 63n - 1n, '0', Number.NaN, false, '', '9999-12-31', '00:00:00', 'ffffffff-ffff-ffff-ffff-ffffffffffff', Buffer.alloc(0)]]
    // NULL alone in each position, so the fast paths meet `\N` first, last and in the middle.
    for (let i = 0; i < kinds.length; i++) rows.push(value.map((v, j) => (i === j ? null : v)))
    expect(roundTrip(rows, kinds)).toEqual(rows)
    // Integers and booleans last in the row take their fast path up to the line end.
    const intsLast: Row[] = [
      [1, 'x', -7],
      [2, null, null],
      [3, 'y', 0],
    ]
    expect(roundTrip(intsLast, [ValueKind.int, ValueKind.text, ValueKind.int])).toEqual(intsLast)
    expect(roundTrip([['a', true], ['b', null], ['c', false]], [ValueKind.text, ValueKind.bool])).toEqual([['a', true], ['b', null], ['c', false]])
  })

  it('round-trips random text with every escape and non-ASCII character, cut into tiny chunks', () => {
    const rows: Row[] = Array.from({ length: 3000 }, (_, i) => [i, randomText(i * 7919 + 1), randomText(i + 3), i % 5 === 0 ? null : randomText(i * 31)])
    const kinds = [ValueKind.int, ValueKind.text, ValueKind.text, ValueKind.text]
    expect(roundTrip(rows, kinds)).toEqual(rows)
  })

  it('writes the bytes PostgreSQL reads: escapes, UTF-8, NULL, floats, bytea', () => {
    const columns = [ValueKind.text, ValueKind.int, ValueKind.float, ValueKind.bool, ValueKind.bytes, ValueKind.json].map((kind) => written(kind))
    const text = encode(
      [
        ['a\\b\tc\nd\re 😀 é', -12, -0, true, Buffer.from([1, 171]), { k: 'v\t' }],
        [null, null, Number.POSITIVE_INFINITY, null, null, null],
      ],
      columns,
    ).toString('utf8')
    expect(text).toBe('a\\\\b\\tc\\nd\\re 😀 é\t-12\t-0\tt\t\\\\x01ab\t{"k":"v\\\\t"}\n\\N\t\\N\tInfinity\t\\N\t\\N\t\\N\n')
    // A lone surrogate cannot be UTF-8: U+FFFD, as Buffer's encoder writes it.
    expect(encode([['x\ud800y']], [written(ValueKind.text)]).toString('utf8')).toBe('x\ufffdy\n')
    expect(escapeCopyText('plain')).toBe('plain')
  })

  it('writes json arrays into array columns as array literals', () => {
    const text = encode([[[1, 'a "b"', null, [true], { k: 1 }]]], [written(ValueKind.json, true)]).toString('utf8')
    expect(text).toBe('{1,"a \\\\"b\\\\"",NULL,{true},"{\\\\"k\\\\":1}"}\n')
  })

  it('reads every escape COPY defines, octal and hex included', () => {
    const escaped = 'a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh\\101\\x42\\x4g\\7\\q'
    expect(unescapeCopyText(escaped, 0, escaped.length)).toBe('a\tb\nc\rd\\e\bf\fg\vhAB\x04g\x07q')
    expect(unescapeCopyText('no escapes', 0, 10)).toBe('no escapes')
  })

  it('converts each kind of text as the session prints it', () => {
    const column = (kind: ValueKind, elementKind?: ValueKind): DecodeColumn => ({ name: 'c', kind, elementKind })
    const read = (kind: ValueKind, text: string, elementKind?: ValueKind) => decodeText(column(kind, elementKind), text, 0, text.length)
    expect(read(ValueKind.timestamp, '2024-02-29 13:45:10.5')).toBe('2024-02-29T13:45:10.5')
    expect(read(ValueKind.timestamptz, '2024-02-29 13:45:10.000001+00')).toBe('2024-02-29T13:45:10.000001Z')
    expect(read(ValueKind.timestamptz, '2024-02-29 13:45:10+05:30')).toBe('2024-02-29T08:15:10Z')
    expect(read(ValueKind.timetz, '01:00:00-03')).toBe('04:00:00')
    expect(read(ValueKind.timetz, '01:00:00.25+05:30')).toBe('19:30:00.25')
    expect(read(ValueKind.bytes, '\\x00ff')).toEqual(Buffer.from([0, 255]))
    expect(read(ValueKind.float, '-Infinity')).toBe(Number.NEGATIVE_INFINITY)
    expect(read(ValueKind.array, '{{1,2},{3,NULL}}', ValueKind.int)).toEqual([
      [1, 2],
      [3, null],
    ])
    expect(read(ValueKind.array, '{"2024-01-01 00:00:00+00",infinity}', ValueKind.timestamptz)).toEqual(['2024-01-01T00:00:00Z', 'infinity'])
    for (const [kind, text] of [
      [ValueKind.decimal, 'NaN'],
      [ValueKind.decimal, '-Infinity'],
      [ValueKind.date, 'infinity'],
      [ValueKind.date, '0001-01-01 BC'],
      [ValueKind.timestamp, '10000-01-01 00:00:00'],
      [ValueKind.timestamptz, '-infinity'],
      [ValueKind.timestamptz, '1900-01-01 00:00:00+00:53:28'],
    ] as const) {
      expect(() => read(kind, text)).toThrow(RecordError)
    }
  })

  it('rejects a row whose value has no Fustor value, keeping its raw text, and reads on', () => {
    const columns: DecodeColumn[] = [
      { name: 'id', kind: ValueKind.int },
      { name: 'amount', kind: ValueKind.decimal },
      { name: 'note', kind: ValueKind.text },
    ]
    const out = decode(Buffer.from('1\t1.5\ta\n2\tNaN\tb\\tc\n3\t\\N\t\\N\n'), columns)
    expect(out.rows).toEqual([
      [1, '1.5', 'a'],
      [3, null, null],
    ])
    expect(out.rejected).toHaveLength(1)
    expect(out.rejected[0].record).toEqual([2, 'NaN', 'b\tc'])
    expect(out.rejected[0].location).toBe('result row 2')
    expect((out.rejected[0].error as RecordError).column).toBe('amount')
  })

  it('stops at a message that is incomplete or not CopyData', () => {
    const columns: DecodeColumn[] = [{ name: 'a', kind: ValueKind.int }]
    const whole = frame(Buffer.from('1\n2\n'))
    const bytes = Buffer.concat([whole, Buffer.from([99, 0, 0, 0, 4])])
    const out: DecodedRows = { rows: [], rejected: [] }
    const decoder = new CopyRowDecoder(columns)
    expect(decoder.decodeMessages(bytes, bytes.toString('latin1'), 0, out)).toBe(whole.length)
    const cut = whole.subarray(0, whole.length - 1)
    expect(decoder.decodeMessages(cut, cut.toString('latin1'), 0, { rows: [], rejected: [] })).toBe(7)
    expect(out.rows).toEqual([[1], [2]])
  })
})
