/**
 * Collects encoded text as UTF-8 bytes in large chunks for an output to write.
 *
 * Encoders push pieces of text (field values, delimiters) into `parts`; every few thousand pieces
 * they are joined into one flat string and encoded into a 1 MiB buffer. Measured here on the users
 * table: building a string per row by concatenation made most of a run's garbage (a rope of small
 * strings per row, flattened later), and one buffer write per row or per field cost more than it
 * saved.
 *
 * Bytes encoded elsewhere (a worker thread's ChunkEncoder, parallel runs) are appended as they are:
 * small ones copied into the current chunk so that writes stay large, large ones handed on uncopied.
 * Buffers are never taken from Node's shared pool, so that any of them can be transferred to another
 * thread.
 */
const SPILL_PARTS = 4096

export class OutputBuffer {
  /** Pieces of text not yet encoded; encoders push to it and call `didAppend`. */
  readonly parts: string[] = []
  private buffer: Buffer
  private used = 0
  private readonly full: Buffer[] = []
  private fullBytes = 0

  constructor(private readonly chunkBytes = 1024 * 1024) {
    this.buffer = Buffer.allocUnsafeSlow(chunkBytes)
  }

  append(text: string): void {
    this.parts.push(text)
    this.didAppend()
  }

  /**
   * Encodes a record's text and its line end at once (after the pieces in `parts`): for encoders that
   * build a record's text as one string (CSV). Measured on the users table, this costs less than a
   * piece in `parts` joined later, which copies the text once more (docs/ARCHITECTURE.md D16).
   */
  appendLine(text: string, lineEnd: string): void {
    if (this.parts.length > 0) this.spill()
    const worstBytes = (text.length + lineEnd.length) * 3
    if (this.used + worstBytes > this.buffer.length) {
      if (this.used > 0) this.closeChunk()
      if (worstBytes > this.buffer.length) {
        const bytes = Buffer.from(text + lineEnd, 'utf8')
        this.full.push(bytes)
        this.fullBytes += bytes.length
        return
      }
    }
    const buffer = this.buffer
    let used = this.used + buffer.write(text, this.used)
    if (lineEnd === '\n') buffer[used++] = 10
    else used += buffer.write(lineEnd, used)
    this.used = used
  }

  /** Encoders call it after pushing a record's pieces to `parts`. */
  didAppend(): void {
    if (this.parts.length >= SPILL_PARTS) this.spill()
  }

  /** Appends bytes already encoded, after the text appended before them. */
  appendBytes(bytes: Uint8Array): void {
    this.spill()
    if (bytes.length === 0) return
    if (bytes.length < this.chunkBytes / 4) {
      if (this.used + bytes.length > this.buffer.length) this.closeChunk()
      this.buffer.set(bytes, this.used)
      this.used += bytes.length
      return
    }
    if (this.used > 0) this.closeChunk()
    this.full.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    this.fullBytes += bytes.length
  }

  /**
   * Everything held as one array of exactly its bytes, in an ArrayBuffer of its own (a worker thread
   * transfers it); the buffer is empty afterwards.
   */
  takeBytes(): Uint8Array {
    this.spill()
    const bytes = new Uint8Array(Buffer.allocUnsafeSlow(this.fullBytes + this.used).buffer, 0, this.fullBytes + this.used)
    let at = 0
    for (const chunk of this.takeFullChunks()) {
      bytes.set(chunk, at)
      at += chunk.length
    }
    bytes.set(this.buffer.subarray(0, this.used), at)
    this.used = 0
    return bytes
  }

  /** Whole chunks are waiting: time to write them. */
  get hasFullChunks(): boolean {
    return this.full.length > 0
  }

  /** The whole chunks, leaving the partial one to fill. */
  takeFullChunks(): Buffer[] {
    const chunks = this.full.splice(0)
    this.fullBytes = 0
    return chunks
  }

  /** Everything held, as chunks to write in order; the buffer is empty afterwards. */
  takeAll(): Buffer[] {
    this.spill()
    const chunks = this.takeFullChunks()
    if (this.used > 0) {
      chunks.push(Buffer.from(this.buffer.subarray(0, this.used)))
      this.used = 0
    }
    return chunks
  }

  private spill(): void {
    const parts = this.parts
    if (parts.length === 0) return
    const text = parts.join('')
    parts.length = 0
    if (text.length === 0) return
    const worstBytes = text.length * 3
    if (this.used + worstBytes > this.buffer.length) {
      if (this.used > 0) this.closeChunk()
      if (worstBytes > this.buffer.length) {
        const bytes = Buffer.from(text, 'utf8')
        this.full.push(bytes)
        this.fullBytes += bytes.length
        return
      }
    }
    this.used += this.buffer.write(text, this.used, 'utf8')
  }

  /** The current chunk joins the whole ones; a new one starts. */
  private closeChunk(): void {
    this.full.push(this.buffer.subarray(0, this.used))
    this.fullBytes += this.used
    this.buffer = Buffer.allocUnsafeSlow(this.chunkBytes)
    this.used = 0
  }
}
