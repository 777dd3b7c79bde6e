// A bench shape's text changed the way a ruleset changes between two pulls,
// for the diff tests (diff-shapes.test.ts pins the diffs it gives by hash:
// changing this changes those pins).

/** About 1 % of the rules dropped, 1 % edited, 0.5 % moved a few places down and some duplicated (as the bench's mutate, plus moves). */
export function mutateShape(text: string, seed: number): string {
  let s = seed;
  const rnd = (k: number) => (s = (s * 1103515245 + 12345) >>> 0) % k;
  const lines = text.split('\n');
  const out: string[] = [];
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k];
    if (!l.startsWith('-A ')) {
      out.push(l);
      continue;
    }
    const r = rnd(1000);
    if (r < 10) continue;
    if (r < 20) out.push(l.replace(/--dport \d+/, `--dport ${1 + rnd(65535)}`).replace(/-s (\d+)\.(\d+)\./, `-s $1.${rnd(256)}.`));
    else if (r < 25 && lines[k + 1]?.startsWith('-A ')) {
      // moved down past the next rules of the table
      let to = k + 1;
      const far = k + 2 + rnd(30);
      while (to + 1 < lines.length && to < far && lines[to + 1].startsWith('-A ')) to++;
      lines.splice(to + 1, 0, l);
    } else if (r < 28) out.push(l, l);
    else out.push(l);
  }
  return out.join('\n');
}
