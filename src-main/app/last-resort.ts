// The last line of defence of a long-running process (Electron's main, the
// browser-mode server): an exception thrown from a library callback (ssh2, ws,
// a timer) that nothing caught would end the process, and with it every
// connection and apply still running fine. Instead: log it with its stack, tell
// the person (an event the open pages show), and keep going. Each library
// callback is guarded where it is registered; this catches what slips through.
// No electron here: the entries hand in where to log and how to tell.

interface LastResortOptions {
  log: (message: string) => void;
  /** tell the person (an event to every page) */
  notify: (message: string) => void;
  /** for tests; the real process by default */
  proc?: Pick<NodeJS.Process, 'on' | 'off'>;
}

function describe(e: unknown): { text: string; stack: string } {
  try {
    if (e instanceof Error) return { text: e.message, stack: e.stack ?? e.message };
    const text = String(e);
    return { text, stack: text };
  } catch {
    return { text: 'an unprintable value', stack: 'an unprintable value' };
  }
}

/** Installs the handlers; returns a function that removes them. */
export function installLastResort(opts: LastResortOptions): () => void {
  const proc = opts.proc ?? process;
  let reported = 0;
  const report = (what: string, e: unknown) => {
    const { text, stack } = describe(e);
    try {
      opts.log(`portcullis: ${what} (kept running): ${stack}`);
      // a storm of the same failure must not flood the pages: the first ones are enough
      if (++reported <= 20) opts.notify(`Something failed inside Portcullis and was stopped there: ${text.slice(0, 300)}. Connections that were fine keep running; the log has the details.`);
    } catch {
      // logging itself failed (a closed stderr): nothing more to do, but never throw from here
    }
  };
  const onException = (e: unknown) => report('uncaught exception', e);
  const onRejection = (e: unknown) => report('unhandled promise rejection', e);
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
  };
}
