// The process's stdout and stderr for the command line. `portcullis lint
// big.rules | head`, `… 2>&1 | head`: a reader that goes away is not an error.
// The rest of the output is dropped; the command still finishes and exits with
// its own status (what `set -o pipefail` scripts see).
import type { CliIO } from './io.js';

export function nodeStreams(): Pick<CliIO, 'out' | 'err' | 'tty' | 'outBytes'> {
  const gone = { out: false, err: false };
  const quiet = (which: 'out' | 'err') => (e: NodeJS.ErrnoException) => {
    // EPIPE, then (for writes already under way) "write after destroy"
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    gone[which] = true;
  };
  process.stdout.on('error', quiet('out'));
  process.stderr.on('error', quiet('err'));
  return {
    out: (t) => void (gone.out || process.stdout.write(t)),
    // a write to a file, or to a pipe with room, is done when write() returns: nothing of it is left queued
    outBytes: (b) => gone.out || (process.stdout.write(b), process.stdout.writableLength === 0),
    err: (t) => void (gone.err || process.stderr.write(t)),
    tty: Boolean(process.stdout.isTTY),
  };
}
