// A list of pairs of 32-bit integers that grows outside V8's heap once it is
// long. Kept per rule of a long run (a chain's lines as spans of the file, the
// indexes and lines of 85,000 fail2ban REJECTs): an array of numbers that size
// is copied at each growth and its old stores pile up in the old generation
// until a full GC (~5 MB more peak memory on 100k Docker rules). Short lists
// (most: kube-proxy's 20,000 chains of a rule or two, a run per DNAT) stay a
// small array: an ArrayBuffer each costs far more than its bytes.
const SMALL = 64;

export class IntPairs {
  /** the numbers while they are few (the first pair makes an array of exactly two) */
  private small: number[] | null = null;
  private data: Int32Array | null = null;
  /** numbers held (twice the pairs) */
  length = 0;

  push(a: number, b: number): void {
    if (this.data === null) {
      const small = this.small;
      if (small === null) this.small = [a, b];
      else if (this.length < SMALL) small.push(a, b);
      else {
        this.data = new Int32Array(SMALL * 2);
        this.data.set(small);
        this.small = null;
        this.data[this.length] = a;
        this.data[this.length + 1] = b;
      }
      this.length += 2;
      return;
    }
    let data = this.data;
    if (this.length + 2 > data.length) {
      const more = new Int32Array(data.length * 2);
      more.set(data);
      this.data = data = more;
    }
    data[this.length++] = a;
    data[this.length++] = b;
  }

  /** the k-th number (pairs are at k, k + 1 for even k) */
  at(k: number): number {
    return this.data !== null ? this.data[k] : this.small![k];
  }

  /** the last number becomes v */
  setLast(v: number): void {
    if (this.data !== null) this.data[this.length - 1] = v;
    else this.small![this.length - 1] = v;
  }
}
