// Small helpers most extensions share: the default final check and printing
// options in a fixed order, the way each libxt_*.c save() function does.
import type { Match, OptionValue } from '../model.js';
import { saveString, ValueError } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';

/** The match was parsed by `ext` (not kept as written): its state is ext's. */
export function isMatchOf<S>(m: Match, ext: MatchExtension<S>): m is Match<S> {
  return m.name === ext.name && !m.unknown;
}

/**
 * The state of an extension that keeps its options by name (the default when
 * it has no finalize): `{ invert, value }` of the last occurrence, an array of
 * them for `multi` options.
 */
export type OptionState = Record<string, OptionValue | OptionValue[] | undefined>;

/** state[name] = { invert, value } of the last occurrence (an array of them for `multi` options). */
export function collectOptions(options: OptionValue[], specs: OptionSpec[]): OptionState {
  const state: OptionState = {};
  for (let k = 0; k < options.length; k++) {
    const o = options[k];
    // a loop, not specs.find: a closure per option of every rule
    let spec: OptionSpec | undefined;
    for (let j = 0; j < specs.length; j++) {
      if (specs[j].name === o.name) {
        spec = specs[j];
        break;
      }
    }
    if (spec?.multi) ((state[o.name] as OptionValue[] | undefined) ?? (state[o.name] = [] as OptionValue[]) as OptionValue[]).push(o);
    else state[o.name] = o;
  }
  return state;
}

export function opt(state: OptionState, name: string): OptionValue | undefined {
  return state[name] as OptionValue | undefined;
}

export function requireOption(ext: string, state: OptionState, name: string): OptionValue {
  const o = opt(state, name);
  if (!o) throw new ValueError(`${ext}: option "--${name}" must be specified`, 'missing-argument', `add --${name} VALUE`);
  return o;
}

type Printer = (v: unknown) => string;
export const asString: Printer = (v) => saveString(String(v));

/**
 * Print options in the given order: ` [!] --name VALUE`. A printer returning
 * null prints the name alone (flags).
 */
export function saveInOrder(state: OptionState, order: Array<[string, Printer | null]>): string {
  let out = '';
  for (let k = 0; k < order.length; k++) {
    const name = order[k][0];
    const print = order[k][1];
    const o = state[name];
    if (!o) continue;
    // no array made around a single option (one per option of every rule printed)
    if (!Array.isArray(o)) out += (o.invert ? ' ! --' : ' --') + name + (print ? print(o.value) : '');
    else for (const v of o) out += (v.invert ? ' ! --' : ' --') + name + (print ? print(v.value) : '');
  }
  return out;
}


// ---- words for the rule list (MatchExtension.words) ----

/** `not ` before a negated test's words. */
export const not = (invert: boolean | undefined): string => (invert ? 'not ' : '');

/** A port or port range in words: `22`, `1000–2000`. */
export function portRangeWords(r: { lo: number; hi: number }): string {
  return r.lo === r.hi ? String(r.lo) : `${r.lo}–${r.hi}`;
}
