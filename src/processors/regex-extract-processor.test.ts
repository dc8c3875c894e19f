import { describe, expect, it } from 'vitest'
import { RecordError } from '../core/errors.js'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { regexExtractProcessor } from './regex-extract-processor.js'

function regexExtract(raw: Record<string, unknown>) {
  return regexExtractProcessor.create(configure(regexExtractProcessor, raw), processorContext())
}

const lines = schemaOf({ id: 'int', line: 'string' })

describe('regex_extract processor', () => {
  it('adds one string column per named group, NULL where a group or the match is missing', async () => {
    const processor = regexExtract({ source_field: 'line', pattern: '^(?<level>[A-Z]+)(?: \\[(?<module>\\w+)\\])? (?<text>.*)$' })
    const result = await processAll(processor, [
      batchOf(lines, [
        [1, 'ERROR [db] connection lost'],
        [2, 'INFO started'],
        [3, 'no level here'],
        [4, null],
      ]),
    ])
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:int', 'line:string', 'level:string', 'module:string', 'text:string'])
    expect(result.rows).toEqual([
      [1, 'ERROR [db] connection lost', 'ERROR', 'db', 'connection lost'],
      [2, 'INFO started', 'INFO', null, 'started'],
      [3, 'no level here', null, null, null],
      [4, null, null, null, null],
    ])
  })

  it('rejects rows that do not match when asked, and keeps the rest', async () => {
    const processor = regexExtract({ source_field: 'line', pattern: '(?<n>\\d+)', on_no_match: 'reject' })
    const result = await processAll(processor, [
      batchOf(lines, [
        [1, 'a1'],
        [2, 'none'],
        [3, null],
        [4, 'b22'],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, 'a1', '1'],
      [3, null, null],
      [4, 'b22', '22'],
    ])
    expect(result.rejections).toHaveLength(1)
    expect(result.rejections[0].row).toEqual([2, 'none'])
    expect(result.rejections[0].error).toBeInstanceOf(RecordError)
    expect((result.rejections[0].error as RecordError).message).toBe('"none" in column "line" does not match the regex_extract pattern')
  })

  it('writes the first group, or the whole match, to target_field', async () => {
    const first = await processAll(regexExtract({ source_field: 'line', pattern: '@(\\w+)\\.', target_field: 'host' }), [batchOf(lines, [[1, 'a@mail.example']])])
    expect(first.rows).toEqual([[1, 'a@mail.example', 'mail']])
    const whole = await processAll(regexExtract({ source_field: 'line', pattern: '\\d+', target_field: 'line' }), [batchOf(lines, [[1, 'abc 123 def']])])
    expect(whole.rows).toEqual([[1, '123']])
  })

  it('matches other types in their text form and ignores case when asked', async () => {
    const schema = schemaOf({ n: 'int', word: 'string' })
    const result = await processAll(regexExtract({ source_field: 'n', pattern: '^(?<head>\\d)' }), [batchOf(schema, [[987, 'x']])])
    expect(result.rows).toEqual([[987, 'x', '9']])
    const caseless = await processAll(regexExtract({ source_field: 'word', pattern: '(?<w>abc)', case_insensitive: true }), [batchOf(schema, [[1, 'xABCx']])])
    expect(caseless.rows).toEqual([[1, 'xABCx', 'ABC']])
  })

  it('reports a bad pattern, a pattern without groups and an unknown column with their paths', () => {
    expect(() => regexExtract({ source_field: 'line', pattern: '(?<a>x' })).toThrow(expect.objectContaining({ code: 'regex_extract.invalid_pattern', path: 'pattern' }))
    expect(() => regexExtract({ source_field: 'line', pattern: '\\d+' })).toThrow(expect.objectContaining({ code: 'regex_extract.no_target', path: 'target_field' }))
    expect(() => regexExtract({ source_field: 'lines', pattern: '(?<a>x)' }).prepare(lines)).toThrow(
      expect.objectContaining({ code: 'processor.unknown_column', path: 'source_field', message: 'unknown column "lines" in regex_extract (did you mean "line"?)' }),
    )
  })
})
