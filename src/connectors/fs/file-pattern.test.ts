import { describe, expect, test } from 'vitest'
import { FilePattern } from './file-pattern.js'

function matching(pattern: string, paths: string[]): string[] {
  const compiled = FilePattern.of(pattern)
  return paths.filter((path) => compiled.matches(path))
}

const PATHS = ['a.csv', 'b.txt', 'logs/c.csv', 'logs/2024/d.csv', 'reports/x.pdf', 'reports/q1/y.docx', 'reports/q1/z.txt']

describe('file_pattern', () => {
  test('without / it matches the file name at any depth', () => {
    expect(matching('*', PATHS)).toEqual(PATHS)
    expect(matching('*.csv', PATHS)).toEqual(['a.csv', 'logs/c.csv', 'logs/2024/d.csv'])
    expect(matching('?.txt', PATHS)).toEqual(['b.txt', 'reports/q1/z.txt'])
  })

  test('with / it matches the relative path; * stays in a directory, ** spans several', () => {
    expect(matching('logs/*.csv', PATHS)).toEqual(['logs/c.csv'])
    expect(matching('logs/**/*.csv', PATHS)).toEqual(['logs/c.csv', 'logs/2024/d.csv'])
    expect(matching('**/*.csv', PATHS)).toEqual(['a.csv', 'logs/c.csv', 'logs/2024/d.csv'])
    expect(matching('reports/**', PATHS)).toEqual(['reports/x.pdf', 'reports/q1/y.docx', 'reports/q1/z.txt'])
    expect(matching('./logs/*.csv', PATHS)).toEqual(['logs/c.csv'])
  })

  test('alternatives and classes', () => {
    expect(matching('reports/**/*.{pdf,docx}', PATHS)).toEqual(['reports/x.pdf', 'reports/q1/y.docx'])
    expect(matching('[ab].*', PATHS)).toEqual(['a.csv', 'b.txt'])
    expect(matching('[!ab].*', PATHS)).toEqual(['logs/c.csv', 'logs/2024/d.csv', 'reports/x.pdf', 'reports/q1/y.docx', 'reports/q1/z.txt'])
    expect(matching('a+b(1).csv', ['a+b(1).csv', 'aab1.csv'])).toEqual(['a+b(1).csv'])
  })

  test('an unclosed { or [ is a ConfigError at file_pattern', () => {
    for (const pattern of ['*.{csv', '[ab.csv']) {
      expect(() => FilePattern.of(pattern)).toThrow(expect.objectContaining({ code: 'fs.invalid_pattern', path: 'file_pattern' }))
    }
  })
})
