// The diff's new file: which of a chain's lines it took from the old file (diff-reuse.ts).
// A file of its own: ruleset-texts.ts names it, and diff-reuse.ts imports that.

/**
 * A chain of the new file read with the old file's lines: runs of lines taken
 * from the old file's chain of the same name (new index, old index, count),
 * and between them the chain's own texts in order (ChainTexts.texts).
 */
export class TakenLines {
  /** @param old the old file's chain the lines are of (diff-reuse.ts's OldChain; a type here would make a cycle of imports) */
  constructor(readonly old: object) {}

  // the first run inline (most chains the new file took whole are one run), the others as triples
  private j0 = 0;
  private k0 = 0;
  private c0 = 0;
  private more: number[] | null = null;

  /** new line `j` is old line `k` */
  take(j: number, k: number): void {
    const more = this.more;
    if (more === null) {
      if (this.c0 === 0) {
        this.j0 = j;
        this.k0 = k;
        this.c0 = 1;
      } else if (this.j0 + this.c0 === j && this.k0 + this.c0 === k) this.c0++;
      else this.more = [j, k, 1];
      return;
    }
    const n = more.length;
    if (more[n - 3] + more[n - 1] === j && more[n - 2] + more[n - 1] === k) more[n - 1]++;
    else more.push(j, k, 1);
  }

  /** Each run in order: its new start, old start and length. */
  each(run: (j: number, k: number, count: number) => void): void {
    if (this.c0 > 0) run(this.j0, this.k0, this.c0);
    const more = this.more;
    if (more) for (let r = 0; r < more.length; r += 3) run(more[r], more[r + 1], more[r + 2]);
  }

  /** Every line is the old chain's line of the same index (and there are `count` of `length` old lines). */
  isOld(count: number, length: number): boolean {
    return count === length && (count === 0 || (this.more === null && this.j0 === 0 && this.k0 === 0 && this.c0 === count));
  }
}
