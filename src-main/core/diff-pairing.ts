// Which deleted rule became which added rule. Between two rules the alignment
// kept, a chain may lose some rules and gain others; pairing them in order
// lines up unrelated rules ("443" against "5433") and calls a deletion, a
// modification and an addition "3 replaced". Instead, as Python's difflib
// (Differ._fancy_replace) does for lines: the most similar pair is taken first,
// then the same is done before and after it, so pairs never cross and a rule
// that has no similar partner stays a plain delete or add. The search is
// bounded: big gaps are cut into blocks, so the work stays linear in the rules.

/** A rule's words grouped per option: `-p tcp`, `--dport 22`, `! -s 10.0.0.0/8`, `-j ACCEPT`. */
interface OptionGroup {
  key: string;
  value: string;
}

/**
 * Splits canonical rule text into words as iptables-save quotes them: a
 * double-quoted word (`"hello world"`, with `\"` inside) is one word, quotes kept.
 */
export function ruleWords(text: string): string[] {
  const out: string[] = [];
  let k = 0;
  const n = text.length;
  while (k < n) {
    while (k < n && (text[k] === ' ' || text[k] === '\t')) k++;
    if (k >= n) break;
    const start = k;
    let quoted = false;
    while (k < n && (quoted || (text[k] !== ' ' && text[k] !== '\t'))) {
      if (text[k] === '\\' && quoted) k++;
      else if (text[k] === '"') quoted = !quoted;
      k++;
    }
    out.push(text.slice(start, Math.min(k, n)));
  }
  return out;
}

/** Option groups of a rule, without its `-A CHAIN` head (every rule of the chain has it). */
export function optionGroups(text: string): OptionGroup[] {
  const words = ruleWords(text);
  let k = 0;
  if (words[0] === '-A' || words[0] === '-I') k = 2;
  const out: OptionGroup[] = [];
  let neg = false;
  for (; k < words.length; k++) {
    const w = words[k];
    if (w === '!') {
      neg = true;
      continue;
    }
    if (w.startsWith('-') && w.length > 1 && !/^-\d/.test(w)) {
      out.push({ key: neg ? `! ${w}` : w, value: '' });
    } else if (out.length && !neg) {
      const g = out[out.length - 1];
      g.value = g.value ? `${g.value} ${w}` : w;
    } else {
      // a value with no option before it (or a `!` before a value): a group of its own
      out.push({ key: neg ? '!' : '', value: w });
    }
    neg = false;
  }
  return out;
}

/**
 * How close two option values are, 0 to 1: the shared beginning and end (at
 * most the shorter value) over the mean length. Cheap and allocation-free:
 * `80`/`8080` and `10.0.0.1/32`/`10.0.0.2/32` are close, `443`/`8080` are not.
 */
function valueCloseness(a: string, b: string): number {
  if (a === b) return 1;
  const min = Math.min(a.length, b.length);
  if (min === 0) return 0;
  let pre = 0;
  while (pre < min && a.charCodeAt(pre) === b.charCodeAt(pre)) pre++;
  let suf = 0;
  while (suf < min && a.charCodeAt(a.length - 1 - suf) === b.charCodeAt(b.length - 1 - suf)) suf++;
  return Math.min(min, pre + suf) / ((a.length + b.length) / 2);
}

/**
 * How alike two rules are, 0 to 1: the Dice coefficient over option groups,
 * where an option both have with another value counts half, and a bit more the
 * closer the values are (`--dport 80` is nearer `8080` than `443` is).
 */
export function ruleSimilarity(a: readonly OptionGroup[], b: readonly OptionGroup[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const used = new Uint8Array(b.length);
  let score = 0;
  const partial: number[] = [];
  for (let x = 0; x < a.length; x++) {
    let exact = -1;
    for (let y = 0; y < b.length; y++) {
      if (!used[y] && b[y].key === a[x].key && b[y].value === a[x].value) {
        exact = y;
        break;
      }
    }
    if (exact >= 0) {
      used[exact] = 1;
      score += 1;
    } else partial.push(x);
  }
  for (const x of partial) {
    for (let y = 0; y < b.length; y++) {
      if (!used[y] && b[y].key === a[x].key) {
        used[y] = 1;
        score += 0.5 + 0.25 * valueCloseness(a[x].value, b[y].value);
        break;
      }
    }
  }
  return (2 * score) / (a.length + b.length);
}

/** Below this, a deleted and an added rule are shown apart, not as one changed rule. */
const PAIR_CUTOFF = 0.5;
/** Dels × adds compared at once; bigger gaps are cut into blocks of this side. */
const BLOCK = 16;

/**
 * Pairs deleted rules (`dels`, texts in chain order) with added ones (`adds`):
 * returns for each del the index in `adds` of its partner, or -1. Pairs keep
 * the order on both sides (they never cross), as a replace must.
 */
export function pairBySimilarity(dels: readonly string[], adds: readonly string[], stop?: () => void): Int32Array {
  const partner = new Int32Array(dels.length).fill(-1);
  if (dels.length === 0 || adds.length === 0) return partner;
  // exactly one of each at the same place: a changed rule, however much changed
  if (dels.length === 1 && adds.length === 1) {
    partner[0] = 0;
    return partner;
  }
  // `stop` (a cancel) is asked every 1,024 rules read and 64 blocks paired
  const groups = (texts: readonly string[]) =>
    texts.map((t, k) => {
      if ((k & 1023) === 1023) stop?.();
      return optionGroups(t);
    });
  const dg = groups(dels);
  const ag = groups(adds);
  // blocks along the diagonal of the gap, so a long gap costs BLOCK² per block
  const blocks = Math.max(1, Math.ceil(Math.max(dels.length, adds.length) / BLOCK));
  for (let b = 0; b < blocks; b++) {
    if ((b & 63) === 63) stop?.();
    const d0 = Math.floor((b * dels.length) / blocks);
    const d1 = Math.floor(((b + 1) * dels.length) / blocks);
    const a0 = Math.floor((b * adds.length) / blocks);
    const a1 = Math.floor(((b + 1) * adds.length) / blocks);
    if (d1 > d0 && a1 > a0) pairBlock(dg, d0, d1, ag, a0, a1, partner);
  }
  return partner;
}

function pairBlock(dg: OptionGroup[][], d0: number, d1: number, ag: OptionGroup[][], a0: number, a1: number, partner: Int32Array): void {
  const w = a1 - a0;
  const sim = new Float64Array((d1 - d0) * w);
  for (let i = d0; i < d1; i++) for (let j = a0; j < a1; j++) sim[(i - d0) * w + (j - a0)] = ruleSimilarity(dg[i], ag[j]);
  // best pair first, then the ranges before and after it (an explicit stack, no recursion)
  const stack: number[] = [d0, d1, a0, a1];
  while (stack.length) {
    const ea = stack.pop()!;
    const sa = stack.pop()!;
    const ed = stack.pop()!;
    const sd = stack.pop()!;
    let best = PAIR_CUTOFF - 1e-9;
    let bi = -1;
    let bj = -1;
    for (let i = sd; i < ed; i++) {
      for (let j = sa; j < ea; j++) {
        const s = sim[(i - d0) * w + (j - a0)];
        if (s > best) {
          best = s;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) continue;
    partner[bi] = bj;
    if (bi > sd && bj > sa) stack.push(sd, bi, sa, bj);
    if (bi + 1 < ed && bj + 1 < ea) stack.push(bi + 1, ed, bj + 1, ea);
  }
}

/** A piece of a rule's text for showing a change: `changed` pieces are the ones to highlight. */
export interface TextPiece {
  text: string;
  changed: boolean;
}

/**
 * The words of two versions of a rule, with the words that differ marked
 * (`--dport 22` → `--dport 2222` marks only `22` and `2222`). A longest common
 * subsequence of words; rules are short, so the quadratic table is small.
 * Separators are kept so the pieces joined give back each text.
 */
export function changedWords(left: string, right: string): { left: TextPiece[]; right: TextPiece[] } {
  const a = ruleWords(left);
  const b = ruleWords(right);
  if (a.length * b.length > 40_000) return { left: [{ text: left, changed: left !== right }], right: [{ text: right, changed: left !== right }] };
  const n = a.length;
  const m = b.length;
  const dp = new Int32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i * (m + 1) + j] = a[i] === b[j] ? dp[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(dp[(i + 1) * (m + 1) + j], dp[i * (m + 1) + j + 1]);
  const keepA = new Uint8Array(n);
  const keepB = new Uint8Array(m);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      keepA[i++] = 1;
      keepB[j++] = 1;
    } else if (dp[(i + 1) * (m + 1) + j] >= dp[i * (m + 1) + j + 1]) i++;
    else j++;
  }
  return { left: pieces(a, keepA), right: pieces(b, keepB) };
}

/** Words joined by single spaces (canonical text has no other spacing), runs of one kind merged. */
function pieces(words: string[], keep: Uint8Array): TextPiece[] {
  const out: TextPiece[] = [];
  for (let k = 0; k < words.length; k++) {
    const changed = !keep[k];
    const sep = k > 0 ? ' ' : '';
    const last = out[out.length - 1];
    if (last && last.changed === changed) last.text += sep + words[k];
    else if (last) {
      // the space between a kept and a changed word belongs to the kept side
      if (!changed) out.push({ text: sep + words[k], changed });
      else {
        last.text += sep;
        out.push({ text: words[k], changed });
      }
    } else out.push({ text: words[k], changed });
  }
  return out;
}
