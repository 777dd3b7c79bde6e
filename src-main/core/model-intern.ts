// Rules that say the same thing share one object for it. A ruleset repeats its
// matches and targets: `-m conntrack --ctstate NEW`, `-m limit --limit 5/sec`,
// `-j LOG --log-prefix "dropped: "` on thousands of rules. Each parsed copy is
// a match, its options array, an option per option and a state (about 400
// bytes); 100,000 service rules with four matches each hold 160 MB of them.
// Once a rule is parsed, each of its matches (and a target that is not a jump
// to a chain, which -E renames in place) is swapped for an earlier one that is
// equal in content — name, options, state, all of it, compared value by value,
// so sharing never depends on how the line was written and works for every
// extension, IPv4 or IPv6. The model treats matches and targets as values (an
// edit builds a new rule; nothing changes one in place), so sharing is safe.
// A kind of match that rarely repeats (a comment per rule, a port per rule) is
// no longer looked up after a while: its table would cost more than it saves.
import type { Match, Rule, Ruleset, Target } from './model.js';
import { ownCopy } from './ruleset-texts.js';

/** Lookups of one match name before its hit rate is judged. */
const TRIAL = 256;
/** Most distinct matches and targets remembered per parse. */
const MAX_KEPT = 20_000;
/** Deepest nesting compared in a state; deeper ones are not shared. */
const MAX_DEPTH = 6;

interface Trial { tries: number; hits: number; off: boolean }

export class ModelInterner {
  private kept = new Map<string, Array<Match | Target>>();
  private size = 0;
  private trials = new Map<string, Trial>();
  private lastMatches: Match[] | null = null;

  /**
   * own: the model outlives the file's text (the CLI's lint reads the file in
   * pieces and keeps no line): every string of 13 characters or more in a rule
   * is made an own copy (see ownCopy) before the rule is kept. A word of a line
   * is a view into the part of the file it came from; one comment or jump
   * target per rule kept the whole file's text alive (14 MB of 100k kube-proxy rules).
   */
  private readonly last: OwnWord | null;

  constructor(own = false) {
    this.last = own ? new OwnWord() : null;
  }

  /** Swaps the rule's matches and target for equal ones seen before (in place). */
  internRule(r: Rule): void {
    const ms = r.matches;
    // rules of one parse template share their matches array: done once
    if (ms !== this.lastMatches && !Object.isFrozen(ms)) {
      const last = this.last;
      for (let k = 0; k < ms.length; k++) ms[k] = this.intern(last ? ownStrings(ms[k], 0, last) : ms[k], 'm');
      this.lastMatches = ms;
    }
    const t = r.target;
    if (t && this.last && !Object.isFrozen(t)) ownStrings(t, 0, this.last);
    if (t && !t.chain && !Object.isFrozen(t)) r.target = this.intern(t, 't');
  }

  private intern<T extends Match | Target>(x: T, kind: 'm' | 't'): T {
    const name = kind + x.name;
    let trial = this.trials.get(name);
    if (!trial) this.trials.set(name, (trial = { tries: 0, hits: 0, off: false }));
    if (trial.off) return x;
    const key = keyOf(name, x);
    const same = this.kept.get(key);
    if (same) {
      for (const y of same) {
        if (equal(x, y, 0)) {
          trial.hits++;
          return y as T;
        }
      }
    }
    if (++trial.tries === TRIAL && trial.hits * 4 < TRIAL) trial.off = true;
    if (this.size < MAX_KEPT && (!same || same.length < 4)) {
      if (same) same.push(x);
      else this.kept.set(key, [x]);
      this.size++;
    }
    return x;
  }
}

/** The last word ownStrings copied, and its copy: a match's option and its state hold the same word (a comment). */
class OwnWord {
  private word = '';
  private copy = '';

  of(s: string): string {
    if (s !== this.word) {
      this.word = s;
      this.copy = ownCopy(s);
    }
    return this.copy;
  }
}

/** Deepest nesting ownStrings looks into (a match's options' values and its state's fields). */
const OWN_DEPTH = 3;

/**
 * x with each string of 13 characters or more in it (own fields of plain
 * objects and elements of arrays, to OWN_DEPTH) an own copy, in place, and each
 * short array in it a copy of exact length (the model keeps them); x itself
 * when it is a string that need not be copied, or anything else (class
 * instances, Maps, frozen objects are left alone: not made by this parse).
 */
function ownStrings<T>(x: T, depth: number, last: OwnWord): T {
  if (typeof x === 'string') return (x.length < 13 ? x : last.of(x)) as T;
  if (typeof x !== 'object' || x === null || depth > OWN_DEPTH || Object.isFrozen(x)) return x;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (typeof v === 'object' || (typeof v === 'string' && v.length >= 13)) x[i] = ownStrings(v, depth + 1, last);
    }
    // a copy of exact length: an array an extension built by push has room for 16 more
    // elements (hashlimit's four options and its mode: ~270 bytes a rule spare)
    return (x.length < 8 ? x.slice() : x) as T;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return x;
  const o = x as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'object' || (typeof v === 'string' && v.length >= 13)) o[k] = ownStrings(v, depth + 1, last);
  }
  return x;
}

/** A cheap key: the name and each option's name, inversion and plain value (objects are compared by equal()). */
function keyOf(name: string, x: Match | Target): string {
  let key = name;
  if ('implicit' in x && x.implicit) key += '\u0001';
  if (x.unknown) return key + '\u0002' + x.unknown.tokens.join('\u0000');
  for (const o of x.options) {
    const v = o.value;
    key += '\u0000' + o.name + (o.invert ? '!' : '=') + (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v);
  }
  return key;
}

/**
 * Equal in content: the same primitives (Object.is), arrays, Maps and Sets in
 * the same order, objects of the same prototype with the same own keys in the
 * same order. Anything else (functions, typed arrays, deeper nesting) is equal
 * only to itself — never shared by mistake.
 */
function equal(a: unknown, b: unknown, depth: number): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const proto = Object.getPrototypeOf(a);
  if (depth > MAX_DEPTH || proto !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], bb[i], depth + 1)) return false;
    return true;
  }
  if (a instanceof Map || a instanceof Set) {
    const bb = b as Map<unknown, unknown> | Set<unknown>;
    if (a.size !== bb.size) return false;
    const ea = [...a.entries()];
    const eb = [...bb.entries()];
    for (let i = 0; i < ea.length; i++) {
      if (!equal(ea[i][0], eb[i][0], depth + 1) || !equal(ea[i][1], eb[i][1], depth + 1)) return false;
    }
    return true;
  }
  // plain objects only: a class instance may hold what Object.keys does not show (#private fields)
  if (proto !== Object.prototype && proto !== null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    if (!equal((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]], depth + 1)) return false;
  }
  return Object.isFrozen(a) === Object.isFrozen(b);
}

/**
 * Each chain's rules array made a copy of exact length, once the model is
 * read (own mode): an array grown by push has room for half as many again,
 * and one of a few rules room for 17 (37,000 kube-proxy chains: ~4 MB spare).
 */
export function exactRules(rs: Ruleset): void {
  for (const t of rs.tables) for (const c of t.chains) c.rules = c.rules.slice();
}
