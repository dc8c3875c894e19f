import { describe, expect, test } from 'vitest'
import type { Column } from '../../core/schema.js'
import { parameterLiteral, sqlString, tupleWriter } from './mysql-insert-values.js'
import type { WrittenColumn } from './mysql-load-data.js'

function written(specs: [string, Column['type'], string?][]): WrittenColumn[] {
  return specs.map(([name, type, nativeType]) => ({ column: { name, type }, nativeType }))
}

describe('SQL literals', () => {
  test('strings are quoted with backslash escapes', () => {
    expect(sqlString("it's")).toBe("'it\\'s'")
    expect(sqlString('a\\b"c\n\r\0')).toBe("'a\\\\b\\\"c\\n\\r\\0'")
  })

  test('tuples: decimals as exact number literals, bytes as hex, timestamptz without Z, geometry from WKB', () => {
    const writeTuple = tupleWriter(
      written([
        ['i', 'int'],
        ['d', 'decimal'],
        ['y', 'bytes', 'blob'],
        ['g', 'bytes', 'geometry'],
        ['tz', 'timestamptz'],
        ['t', 'bool'],
        ['j', 'json'],
        ['n', 'string'],
      ]),
    )
    expect(writeTuple([1, '12.50', Buffer.from([1, 255]), Buffer.from([2]), '2024-01-01T00:00:00.5Z', false, ['x'], null])).toBe(
      "(1,12.50,X'01ff',ST_GeomFromWKB(X'02'),'2024-01-01T00:00:00.5',0,'[\\\"x\\\"]',NULL)",
    )
  })

  test('parameters: bigints exact, timestamptz as UTC wall time, json as text', () => {
    expect(parameterLiteral(9007199254740993n)).toBe('9007199254740993')
    expect(parameterLiteral('2024-01-01T10:00:00.25Z')).toBe("'2024-01-01T10:00:00.25'")
    expect(parameterLiteral('Z')).toBe("'Z'")
    expect(parameterLiteral({ a: 1 })).toBe('\'{\\"a\\":1}\'')
    expect(parameterLiteral(Buffer.from('hi'))).toBe("X'6869'")
    expect(parameterLiteral(true)).toBe('TRUE')
    expect(parameterLiteral(null)).toBe('NULL')
  })
})
