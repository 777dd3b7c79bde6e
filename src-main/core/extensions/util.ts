// Small helpers most extensions share: the default final check and printing
// options in a fixed order, the way each libxt_*.c save() function does.
import type { OptionValue } from '../model.js';
import { saveString, ValueError } from '../values.js';
import type { OptionSpec } from './types.js';

/** state[name] = { invert, value } of the last occurrence (an array of them for `multi` options). */
export function collectOptions(options: OptionValue[], specs: OptionSpec[]): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const o of options) {
    const spec = specs.find((s) => s.name === o.name);
    if (spec?.multi) ((state[o.name] as OptionValue[] | undefined) ?? (state[o.name] = [] as OptionValue[]) as OptionValue[]).push(o);
    else state[o.name] = o;
  }
  return state;
}

export function opt(state: Record<string, unknown>, name: string): OptionValue | undefined {
  return state[name] as OptionValue | undefined;
}

export function requireOption(ext: string, state: Record<string, unknown>, name: string): OptionValue {
  const o = opt(state, name);
  if (!o) throw new ValueError(`${ext}: option "--${name}" must be specified`, 'missing-argument', `add --${name} VALUE`);
  return o;
}

export type Printer = (v: unknown) => string;
export const asText: Printer = (v) => ' ' + String(v);
export const asString: Printer = (v) => saveString(String(v));

/**
 * Print options in the given order: ` [!] --name VALUE`. A printer returning
 * null prints the name alone (flags).
 */
export function saveInOrder(state: Record<string, unknown>, order: Array<[string, Printer | null]>): string {
  let out = '';
  for (const [name, print] of order) {
    const o = state[name] as OptionValue | OptionValue[] | undefined;
    if (!o) continue;
    for (const v of Array.isArray(o) ? o : [o]) {
      out += (v.invert ? ' ! --' : ' --') + name + (print ? print(v.value) : '');
    }
  }
  return out;
}

