import { describe, expect, test } from 'vitest'
import { RecordError } from '../../core/errors.js'
import type { Column, Row } from '../../core/schema.js'
import { LoadDataEncoder, loadDataStatement, loadDataText, type WrittenColumn } from './mysql-load-data.js'

const quote = (name: string): string => `\`${name.replace(/`/g, '``')}\``

function written(specs: [string, Column['type'], string?][]): WrittenColumn[] {
  return specs.map(([name, type, nativeType]) => ({ column: { name, type }, nativeType }))
}

function fileText(encoder: LoadDataEncoder, rows: Row[]): string {
  return Buffer.concat([...encoder.chunks(rows)]).toString('utf8')
}

describe('LOAD DATA text', () => {
  test('escapes backslash, tab, newline and NUL, and nothing else', () => {
    expect(loadDataText('plain text, "quoted" \'single\' \r')).toBe('plain text, "quoted" \'single\' \r')
    expect(loadDataText('a\tb\nc\\d\0e')).toBe('a\\tb\\nc\\\\d\\0e')
    expect(loadDataText('\\N')).toBe('\\\\N')
  })

  test('writes each type in the form the server parses exactly; NULL as \\N', () => {
    const encoder = new LoadDataEncoder(
      written([
        ['s', 'string'],
        ['i', 'int'],
        ['b', 'bigint'],
        ['d', 'decimal'],
        ['f', 'float'],
        ['t', 'bool'],
        ['ts', 'timestamp'],
        ['tz', 'timestamptz'],
        ['j', 'json'],
        ['y', 'bytes'],
      ]),
      quote,
    )
    const text = fileText(encoder, [
      ['x\ty', 1, -9223372036854775808n, '-12.50', 0.1, true, '2024-01-02T03:04:05.5', '2024-01-02T03:04:05.5Z', { a: 'tab\there' }, Buffer.from([0, 255, 9])],
      [null, null, null, null, null, null, null, null, null, null],
    ])
    expect(text).toBe(
      'x\\ty\t1\t-9223372036854775808\t-12.50\t0.1\t1\t2024-01-02T03:04:05.5\t2024-01-02T03:04:05.5\t{"a":"tab\\\\there"}\t00ff09\n' +
        '\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n',
    )
  })

  test('bytes go through UNHEX, BIT through CAST, geometry through ST_GeomFromWKB', () => {
    const encoder = new LoadDataEncoder(
      written([
        ['id', 'int', 'int(11)'],
        ['data', 'bytes', 'blob'],
        ['flag', 'bool', 'bit(1)'],
        ['shape', 'bytes', 'point'],
        ['we`ird', 'string', 'text'],
      ]),
      quote,
    )
    expect(encoder.columnsClause).toBe('(`id`, @fustor_1, @fustor_2, @fustor_3, `we``ird`) SET `data` = UNHEX(@fustor_1), `flag` = CAST(@fustor_2 AS UNSIGNED), `shape` = ST_GeomFromWKB(UNHEX(@fustor_3))')
    expect(loadDataStatement('`db`.`t`', encoder, 'replace')).toContain("LOAD DATA LOCAL INFILE 'fustor-rows' REPLACE INTO TABLE `db`.`t` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (`id`")
  })

  test('a NaN or infinite float is a RecordError naming the column', () => {
    const encoder = new LoadDataEncoder(written([['score', 'float']]), quote)
    expect(() => fileText(encoder, [[NaN]])).toThrow(RecordError)
    expect(() => fileText(encoder, [[Infinity]])).toThrow(/column score/)
  })

  test('large writes come in chunks of about 128 KiB', () => {
    const encoder = new LoadDataEncoder(written([['s', 'string']]), quote)
    const rows: Row[] = Array.from({ length: 5000 }, (_, i) => [`${i}`.padEnd(100, 'x')])
    const chunks = [...encoder.chunks(rows)]
    expect(chunks.length).toBeGreaterThan(2)
    expect(Buffer.concat(chunks).toString().split('\n')).toHaveLength(5001)
  })
})
