/**
 * The bytes of one file, in chunks, from a byte offset: a positioned read for plain files, and for
 * `.gz` files decompression from the start, discarding everything before the offset (gzip cannot
 * seek). Offsets are always in decompressed bytes.
 */
import { createReadStream, type ReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { FatalError } from '../../core/errors.js'

/** Chunks handed to parsers: 64 KiB measured fastest (the decoded text of larger ones falls out of
 * the CPU caches). */
export const CHUNK_BYTES = 64 * 1024
/** Bytes read from disk at once: fewer round trips to the thread pool than one read per chunk. */
const READ_BYTES = 1024 * 1024

export interface FileChunks {
  /** The next chunk, or null at the end. A chunk is valid only until the next call. */
  next(): Promise<Buffer | null>
  /** Bytes read from the file itself so far (compressed bytes for `.gz`), for progress. */
  readonly fileBytesRead: number
  close(): Promise<void>
}

export async function openFileChunks(path: string, isGzip: boolean, startOffset: number): Promise<FileChunks> {
  return isGzip ? gzipChunks(path, startOffset) : plainChunks(path, startOffset)
}

async function plainChunks(path: string, startOffset: number): Promise<FileChunks> {
  const handle: FileHandle = await open(path, 'r')
  const buffer = Buffer.allocUnsafe(READ_BYTES)
  let position = startOffset
  /** Bytes of `buffer` read and not yet handed out. */
  let start = 0
  let end = 0
  let isClosed = false
  return {
    async next() {
      if (start >= end) {
        const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position)
        position += bytesRead
        start = 0
        end = bytesRead
        if (bytesRead === 0) return null
      }
      const chunk = buffer.subarray(start, Math.min(end, start + CHUNK_BYTES))
      start += chunk.length
      return chunk
    },
    get fileBytesRead() {
      return position
    },
    async close() {
      if (isClosed) return
      isClosed = true
      await handle.close()
    },
  }
}

async function gzipChunks(path: string, startOffset: number): Promise<FileChunks> {
  const raw: ReadStream = createReadStream(path, { highWaterMark: CHUNK_BYTES })
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES })
  raw.on('error', (error) => gunzip.destroy(error))
  raw.pipe(gunzip)
  const iterator = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  let toSkip = startOffset
  return {
    async next() {
      for (;;) {
        let result: IteratorResult<Buffer>
        try {
          result = await iterator.next()
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          if (typeof code === 'string' && code.startsWith('Z_')) {
            throw new FatalError('file.invalid_gzip', `${path} is not a valid gzip file: ${(error as Error).message}`, { cause: error })
          }
          throw error
        }
        if (result.done) return null
        let chunk = result.value
        if (toSkip > 0) {
          if (chunk.length <= toSkip) {
            toSkip -= chunk.length
            continue
          }
          chunk = chunk.subarray(toSkip)
          toSkip = 0
        }
        return chunk
      }
    },
    get fileBytesRead() {
      return raw.bytesRead
    },
    async close() {
      raw.destroy()
      gunzip.destroy()
    },
  }
}
