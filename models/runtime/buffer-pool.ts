/**
 * Reusable float32 buffers for model inputs. A fresh multi-megabyte array per batch costs more
 * than featurising into it (the pages must be faulted in and zeroed), so the scorer borrows one
 * and returns it once the run that reads it has finished; concurrent batches get their own.
 */
export class BufferPool {
  private readonly free: Float32Array[] = [];

  /**
   * @param maxRetainedFloats buffers larger than this are dropped on release rather than kept
   * @param maxRetained how many idle buffers to keep
   */
  public constructor(
    private readonly maxRetainedFloats = 2 * 1024 * 1024,
    private readonly maxRetained = 2,
  ) {}

  /** A buffer of at least `floats` values; its contents are whatever the last user left. */
  public acquire(floats: number): Float32Array {
    const index = this.free.findIndex((buffer) => buffer.length >= floats);
    if (index >= 0) return this.free.splice(index, 1)[0] as Float32Array;
    return new Float32Array(floats);
  }

  public release(buffer: Float32Array): void {
    if (buffer.length <= this.maxRetainedFloats && this.free.length < this.maxRetained) this.free.push(buffer);
  }
}
