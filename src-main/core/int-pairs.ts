// A list of pairs of 32-bit integers that grows outside V8's heap. Kept per
// rule of a long run (a chain's lines as spans of the file, the indexes and
// lines of 85,000 fail2ban REJECTs): an array of numbers that size is copied
// at each growth and its old stores pile up in the old generation until a full
// GC (~5 MB more peak memory on 100k Docker rules).
export class IntPairs {
  private data = new Int32Array(32);
  /** numbers held (twice the pairs) */
  length = 0;

  push(a: number, b: number): void {
    if (this.length + 2 > this.data.length) {
      const more = new Int32Array(this.data.length * 2);
      more.set(this.data);
      this.data = more;
    }
    this.data[this.length++] = a;
    this.data[this.length++] = b;
  }

  /** the k-th number (pairs are at k, k + 1 for even k) */
  at(k: number): number {
    return this.data[k];
  }

  /** the last number becomes v */
  setLast(v: number): void {
    this.data[this.length - 1] = v;
  }
}
