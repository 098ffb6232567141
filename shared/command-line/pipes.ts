/**
 * `insights view X | head` closes the pipe early: the next write fails with EPIPE, which Node
 * raises as an uncaught 'error' event (a stack trace, and no clean-up). Here a closed reader just
 * means nobody reads any more: further writes are dropped and the command finishes its own
 * clean-up (stops processes, removes temporary folders) as if it had printed everything.
 */
let guarded = false;

export function guardClosedPipes(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  if (guarded) return;
  guarded = true;
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      // Drop whatever else is written; the reader is gone.
      stream.write = (() => true) as typeof stream.write;
    });
  }
}
