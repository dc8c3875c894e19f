/** Where a file input is: the file, the byte offset just after the last record read, and the line
 * ends before it. Opaque to the engine (the checkpoint holds it); read back on resume. */
export interface FilePosition {
  readonly file: string
  readonly offset: number
  readonly line: number
}
