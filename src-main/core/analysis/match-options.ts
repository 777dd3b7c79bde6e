// A match's or target's options read back from the text iptables-save prints
// for it: the app's words for a rule (search, descriptions) read every
// extension alike this way, also those kept token for token. The analysis of
// matches does not: each match's meaning is its extension's (MatchAnalysis in
// extensions/types.ts), nor of targets (TargetAnalysis).
import type { Match, Rule } from '../model.js';
import { saveMatch, saveTarget } from '../canonical.js';
import { tokenizeLine } from '../tokenize.js';

interface MatchOption {
  invert: boolean;
  args: string[];
}

export interface MatchOptions {
  name: string;
  /** the option names (without dashes) as printed, last occurrence wins */
  options: Map<string, MatchOption>;
  /** the match as iptables-save prints it (`-m name --opt v`) */
  text: string;
}

function parseTokens(tokens: string[]): Map<string, MatchOption> {
  const options = new Map<string, MatchOption>();
  let invert = false;
  let cur: MatchOption | null = null;
  for (const t of tokens) {
    if (t === '!') {
      invert = true;
      cur = null;
      continue;
    }
    if (t.startsWith('--') && t.length > 2) {
      const eq = t.indexOf('=');
      const name = eq > 0 ? t.slice(2, eq) : t.slice(2);
      cur = { invert, args: eq > 0 ? [t.slice(eq + 1)] : [] };
      options.set(name, cur);
      invert = false;
      continue;
    }
    if (cur) cur.args.push(t);
  }
  return options;
}

/**
 * Not cached: callers read a match once per analysis (the lint per run, the
 * tracer through its compiled conditions), and a cache on the model would
 * keep a second copy of every match alive as long as the ruleset.
 */
export function matchOptions(m: Match): MatchOptions {
  const text = saveMatch(m).trim();
  if (m.unknown) return { name: m.name, options: parseTokens(m.unknown.tokens), text };
  const words = tokenizeLine(text).words;
  const tokens: string[] = [];
  // words: -m NAME ...options
  for (let k = 2; k < words.length; k++) tokens.push(words[k].text);
  return { name: m.name, options: parseTokens(tokens), text };
}

export interface TargetOptions {
  name: string;
  options: Map<string, MatchOption>;
  text: string;
}

/** Not cached, like matchOptions (targetAction keeps what it needs). */
export function targetOptions(r: Rule): TargetOptions | null {
  const t = r.target;
  if (!t) return null;
  const text = saveTarget(t).trim();
  if (t.unknown) return { name: t.name, options: parseTokens(t.unknown.tokens), text };
  const words = tokenizeLine(text).words;
  const tokens: string[] = [];
  for (let k = 2; k < words.length; k++) tokens.push(words[k].text);
  return { name: t.name, options: parseTokens(tokens), text };
}
