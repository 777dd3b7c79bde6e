// portcullis canon FILE — print the ruleset exactly as iptables-save would after loading it.
import { canonicalRuleset, hasErrors } from '../../core/index.js';
import { flag, parseArgs, UsageError } from '../args.js';
import { escapeControls } from '../io.js';
import { registerCommand } from './index.js';
import { FileChanged, writeCanonicalBytes } from '../canon-out.js';
import { fullGC } from '../full-gc.js';
import { getHeapStatistics } from 'node:v8';
import type { PieceState } from '../read-pieces.js';
import { FAMILY_OPTION, familyArg, loadRuleset, loadRulesetTexts, printFindings } from './read-ruleset.js';

const usage = `usage: portcullis canon FILE [--counters] [--family 4|6]

Prints the ruleset in canonical form: exactly what iptables-save prints after
iptables-restore loads FILE (aliases and abbreviations resolved, defaults
filled in, addresses masked, names turned into numbers), without # lines.
Invalid input: errors on stderr as \`portcullis check\` prints them, exit 1.

  --counters   keep packet and byte counters ([packets:bytes]) instead of [0:0]
  --family F   4 (iptables) or 6 (ip6tables: what ip6tables-save would print);
               without it, inferred from the name (rules.v6, ip6tables) or content`;

registerCommand({
  name: 'canon',
  usage,
  run(argv, io) {
    const args = parseArgs(argv, { counters: { type: 'boolean', short: 'c' }, ...FAMILY_OPTION });
    if (args.positionals.length !== 1) throw new UsageError('give exactly one FILE');
    const file = args.positionals[0];
    // without counters the canonical lines are all it needs: no model is kept (a fraction of the memory)
    const counters = flag(args, 'counters');
    // lines that are their own canonical text are copied from the file again, not kept (see canon-out.ts)
    const spans: PieceState = { bytes: false, stat: null };
    const loaded = counters ? loadRuleset(io, file, familyArg(args)) : loadRulesetTexts(io, file, familyArg(args), spans);
    if (!loaded.ok) return loaded.exit;
    printFindings(io, file, loaded.result.findings);
    if (hasErrors(loaded.result.findings)) return 1;
    const r = loaded.result;
    collectReaderGarbage();
    // byte-exact into a file or pipe; a terminal gets comments' and log prefixes' control characters escaped
    const out = (text: string) => io.out(io.tty ? escapeControls(text) : text);
    if ('ruleset' in r) {
      out(canonicalRuleset(r.ruleset, { counters }));
      return 0;
    }
    const bytes = io.outBytes;
    // a buffer holds whole characters: spans are ASCII, texts are written whole
    // (the text is a copy: the buffer may be filled again)
    const write = bytes && !io.tty ? (b: Uint8Array) => bytes(b) : (b: Uint8Array) => (out(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')), true);
    try {
      writeCanonicalBytes(r.texts, file, spans.stat, write);
    } catch (e) {
      if (!(e instanceof FileChanged)) throw e;
      io.err(`${escapeControls(file)}: error: ${e.message}; run canon again\n`);
      return 2;
    }
    return 0;
  },
});

/** heap in use after the read from which a full collection precedes the output */
const READ_GARBAGE_BYTES = 32 << 20;

/**
 * The reader's tables, templates and chain builders die at its end, and V8
 * would mark them only once the output's own garbage took the heap to ~3x
 * what its last collection left: output then ran on top of them. A full
 * collection first (full-gc.ts) when the heap is that large: 100k rules,
 * peak RSS kube 148 -> 139 MB, neutron 134 -> 129 MB, for one collection
 * (~1 ms per 3 MB live); docker, csf, blocklist do not get there.
 */
function collectReaderGarbage(): void {
  if (getHeapStatistics().used_heap_size >= READ_GARBAGE_BYTES) fullGC();
}
