import { describe, expect, test } from 'vitest'
import { DecodedText } from './decoded-text.js'

/** Consumes everything, char by char in steps, checking the byte offset of every step. */
function drain(text: DecodedText, original: Buffer): string {
  let out = ''
  for (;;) {
    if (text.pos >= text.text.length && !text.merge()) break
    let step = Math.min(text.text.length - text.pos, 7)
    // Parsers stop at delimiters, never inside a surrogate pair: neither does this.
    const last = text.text.charCodeAt(text.pos + step - 1)
    if (last >= 0xd800 && last <= 0xdbff && text.pos + step < text.text.length) step++
    out += text.text.slice(text.pos, text.pos + step)
    text.pos += step
    // Offsets stay exact: the bytes before this point decode to exactly what was consumed.
    expect(original.subarray(0, text.offset).toString('utf8')).toBe(out)
  }
  return out
}

function pushInChunks(text: DecodedText, bytes: Buffer, sizes: number[]): void {
  let at = 0
  let i = 0
  while (at < bytes.length) {
    const size = sizes[i++ % sizes.length]
    text.push(bytes.subarray(at, at + size))
    at += size
  }
  text.end()
}

describe('utf-8 decoding', () => {
  const samples = [
    'plain ascii,line\nanother,line\n',
    'Gdańsk,Kraków\nSão Paulo,Malmö\n',
    'emoji 😀 and 日本語\n'.repeat(50),
    `${'x'.repeat(5000)}\nGdańsk\n${'y'.repeat(5000)}\n`,
    `${'Zoë,Malmö,São Paulo\nplain,line\nGdańsk,ö😀\n'.repeat(40)}no line end ń`,
  ]

  test.each(samples.map((sample, i) => [i, sample] as const))('sample %i decodes whatever the chunk boundaries', (_i, sample) => {
    const bytes = Buffer.from(sample, 'utf8')
    for (const sizes of [[1], [2], [3], [5, 1, 7], [64], [4096], [bytes.length]]) {
      const text = new DecodedText('utf8')
      pushInChunks(text, bytes, sizes)
      expect(drain(text, bytes)).toBe(sample)
    }
  })

  test('an invalid sequence and a character cut off by the end become U+FFFD', () => {
    const bytes = Buffer.concat([Buffer.from('ok '), Buffer.from([0xff]), Buffer.from(' then '), Buffer.from([0xe6, 0x97])])
    const text = new DecodedText('utf8')
    pushInChunks(text, bytes, [4])
    let out = ''
    while (text.merge()) {
      out += text.text.slice(text.pos)
      text.pos = text.text.length
    }
    expect(out).toBe(bytes.toString('utf8'))
    expect(out).toBe('ok \ufffd then \ufffd')
  })

  test('invalid sequences inside lines decode as the whole would, wherever the chunks end', () => {
    const line = Buffer.concat([Buffer.from('Malmö,'), Buffer.from([0xc3]), Buffer.from(',x'), Buffer.from([0xff, 0xe6, 0x97]), Buffer.from('\nascii\nń'), Buffer.from([0x80]), Buffer.from('\n')])
    const bytes = Buffer.concat(Array.from({ length: 30 }, () => line))
    for (const sizes of [[1], [3], [7, 2], [64], [bytes.length]]) {
      const text = new DecodedText('utf8')
      pushInChunks(text, bytes, sizes)
      let out = ''
      while (text.merge()) {
        out += text.text.slice(text.pos)
        text.pos = text.text.length
      }
      expect(out).toBe(bytes.toString('utf8'))
    }
  })

  test('a byte-order mark is skipped and counted', () => {
    const text = new DecodedText('utf8')
    text.push(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x62]))
    text.end()
    text.merge()
    expect(text.text.slice(text.pos)).toBe('ab')
    expect(text.offset).toBe(3)
  })

  test('ASCII text around a non-ASCII line stays in one-byte pieces', () => {
    const ascii = 'abcdefghij,klmnopqrst\n'.repeat(1000)
    const bytes = Buffer.from(`${ascii}Gdańsk,x\n${ascii}`, 'utf8')
    const text = new DecodedText('utf8')
    text.push(bytes)
    text.end()
    const pieces: string[] = []
    while (text.merge()) {
      pieces.push(text.text)
      text.pos = text.text.length
    }
    expect(pieces.join('')).toBe(bytes.toString('utf8'))
    // The non-ASCII character sits in a piece of at most a few KiB; the rest came in other pieces.
    const wide = pieces.filter((piece) => /[\u0100-\uffff]/.test(piece))
    expect(wide).toEqual(['Gdańsk,x\n'])
  })
})
