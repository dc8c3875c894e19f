/**
 * A FIFO between two stages of a running pipeline, bounded by weight (rows) so that memory stays
 * bounded whatever the size of the input (invariant 2). `push` waits while the queue is full; one
 * item is always admitted into an empty queue, so a batch larger than the capacity still flows.
 */

export const QUEUE_TIMEOUT = Symbol('queue timeout')

export class BoundedQueue<T> {
  private readonly items: T[] = []
  private head = 0
  private weight = 0
  private isClosed = false
  private failure: { error: unknown } | undefined
  private readonly pushWaiters: (() => void)[] = []
  private popWaiter: (() => void) | undefined

  constructor(
    private readonly capacity: number,
    private readonly weigh: (item: T) => number,
  ) {}

  get length(): number {
    return this.items.length - this.head
  }

  /** Adds an item, waiting while the queue is full. Throws if the queue failed or was closed. */
  async push(item: T): Promise<void> {
    while (this.length > 0 && this.weight >= this.capacity && !this.failure && !this.isClosed) {
      await new Promise<void>((resolve) => this.pushWaiters.push(resolve))
    }
    if (this.failure) throw this.failure.error
    if (this.isClosed) throw new Error('push to a closed queue')
    this.items.push(item)
    this.weight += this.weigh(item)
    this.wakePopper()
  }

  /** The next item; undefined once the queue is closed and empty; QUEUE_TIMEOUT after `timeoutMs`. */
  async pop(timeoutMs?: number): Promise<T | undefined | typeof QUEUE_TIMEOUT> {
    while (this.length === 0) {
      if (this.failure) throw this.failure.error
      if (this.isClosed) return undefined
      const woke = await new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | undefined
        this.popWaiter = () => {
          if (timer) clearTimeout(timer)
          resolve(true)
        }
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            this.popWaiter = undefined
            resolve(false)
          }, timeoutMs)
        }
      })
      if (!woke) return QUEUE_TIMEOUT
    }
    if (this.failure) throw this.failure.error
    const item = this.items[this.head]
    this.items[this.head] = undefined as T
    this.head++
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head)
      this.head = 0
    }
    this.weight -= this.weigh(item)
    const waiter = this.pushWaiters.shift()
    if (waiter) waiter()
    return item
  }

  /** No more items will be pushed; pop drains what is left, then returns undefined. */
  close(): void {
    this.isClosed = true
    this.wakeAll()
  }

  /** Wakes every waiter with this error; the items left are dropped (the run is failing). */
  fail(error: unknown): void {
    if (!this.failure) this.failure = { error }
    this.wakeAll()
  }

  private wakePopper(): void {
    const waiter = this.popWaiter
    this.popWaiter = undefined
    waiter?.()
  }

  private wakeAll(): void {
    this.wakePopper()
    for (const waiter of this.pushWaiters.splice(0)) waiter()
  }
}
