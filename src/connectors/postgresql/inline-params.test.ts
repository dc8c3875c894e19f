/** Parameters written into SQL text as literals, for COPY (which takes no bind parameters). */
import { describe, expect, it } from 'vitest'
import { inlineParams, sqlLiteral } from './inline-params.js'

describe('inlineParams', () => {
  it('writes each value as an untyped literal the server types from its place', () => {
    expect(inlineParams('SELECT * FROM t WHERE a > $1 AND b = $2 AND c = $3 AND d = $4 AND e IS $5', [42, 9007199254740993n, 'x', true, null])).toBe(
      "SELECT * FROM t WHERE a > '42' AND b = '9007199254740993' AND c = 'x' AND d = 'true' AND e IS NULL",
    )
    expect(sqlLiteral(-1.5)).toBe("'-1.5'")
    expect(sqlLiteral(Number.NaN)).toBe("'NaN'")
    expect(sqlLiteral(Buffer.from([0, 255]))).toBe("'\\x00ff'::bytea")
    expect(sqlLiteral({ a: "it's" })).toBe(`'{"a":"it''s"}'`)
  })

  it('quotes strings safely, backslashes included', () => {
    expect(inlineParams('SELECT $1', ["it's"])).toBe("SELECT 'it''s'")
    expect(inlineParams('SELECT $1', ['back\\slash'])).toBe("SELECT  E'back\\\\slash'")
  })

  it('leaves $n alone inside literals, quoted identifiers, dollar quotes and comments', () => {
    const sql = `SELECT $1, '$1', E'\\'$1', "$1", $$ $1 $$, $tag$ $1 $tag$, a$1 -- $1\n/* $1 /* $1 */ $1 */ FROM t WHERE x = $2`
    expect(inlineParams(sql, [1, 2])).toBe(`SELECT '1', '$1', E'\\'$1', "$1", $$ $1 $$, $tag$ $1 $tag$, a$1 -- $1\n/* $1 /* $1 */ $1 */ FROM t WHERE x = '2'`)
  })

  it('replaces $10 as the tenth parameter, not $1 followed by 0', () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1)
    expect(inlineParams('SELECT $10, $1', params)).toBe("SELECT '10', '1'")
  })

  it('refuses a placeholder without a value', () => {
    expect(() => inlineParams('SELECT $2', [1])).toThrow('parameter $2 has no value')
    expect(inlineParams('SELECT 1', [])).toBe('SELECT 1')
  })
})
