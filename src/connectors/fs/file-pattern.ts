/**
 * `file_pattern` of the `fs` input: a glob matched against a file's path relative to the watched
 * root, with `/` separators. A pattern without `/` matches the file name at any depth (`*.log`
 * matches `a.log` and `logs/2024/b.log`, as in .gitignore); a pattern with `/` matches the whole
 * relative path, where `*` and `?` stay inside one directory and `**` spans any number of them
 * (`logs/**\/*.log`). `{a,b}` is an alternative and `[abc]` / `[!abc]` a character class.
 */
import { ConfigError } from '../../core/errors.js'

export class FilePattern {
  private constructor(
    readonly text: string,
    private readonly regex: RegExp,
    private readonly isNameOnly: boolean,
  ) {}

  /** Throws `fs.invalid_pattern` (ConfigError at `file_pattern`) for an unbalanced `{` or `[`. */
  static of(text: string): FilePattern {
    const isNameOnly = !text.includes('/')
    try {
      return new FilePattern(text, new RegExp(`^${globSource(text.replace(/^\.?\/+/, ''))}$`, 'u'), isNameOnly)
    } catch (error) {
      throw new ConfigError('fs.invalid_pattern', `invalid file_pattern "${text}": ${(error as Error).message}`, {
        path: 'file_pattern',
        hint: 'use *, **, ?, {a,b} and [abc]; close every { and [',
        cause: error,
      })
    }
  }

  /** Whether a file matches; `relativePath` uses `/` separators. */
  matches(relativePath: string): boolean {
    return this.regex.test(this.isNameOnly ? relativePath.slice(relativePath.lastIndexOf('/') + 1) : relativePath)
  }
}

function globSource(glob: string): string {
  let out = ''
  let braceDepth = 0
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]
    if (char === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole directories; a `**` elsewhere anything at all.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?'
          i += 2
        } else {
          out += '.*'
          i += 1
        }
      } else {
        out += '[^/]*'
      }
    } else if (char === '?') {
      out += '[^/]'
    } else if (char === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) throw new Error('unclosed [')
      let body = glob.slice(i + 1, end)
      if (body.startsWith('!')) body = `^${body.slice(1)}`
      out += `[${body.replace(/[\\\]]/g, '\\$&')}]`
      i = end
    } else if (char === '{') {
      braceDepth++
      out += '(?:'
    } else if (char === '}' && braceDepth > 0) {
      braceDepth--
      out += ')'
    } else if (char === ',' && braceDepth > 0) {
      out += '|'
    } else {
      out += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    }
  }
  if (braceDepth > 0) throw new Error('unclosed {')
  return out
}
