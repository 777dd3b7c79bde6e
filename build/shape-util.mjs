// Helpers the bench's shape generators share (build/gen-shapes*.mjs).

/** A deterministic xorshift generator: rnd(k) is an integer in [0, k). */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return (k) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % k;
  };
}

/** A distinct address per index (no two rules of one generator share one by accident). */
export const addr = (base, i) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** k random characters of `alphabet` */
export function randomName(rnd, k, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') {
  let s = '';
  for (let i = 0; i < k; i++) s += alphabet[rnd(alphabet.length)];
  return s;
}

const hex = (g) => g.toString(16);

/** the longest run of zero groups (at least two), as [start, length] */
function zeroRun(groups) {
  let best = [-1, 0];
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best[1] && j - i >= 2) best = [i, j - i];
    i = j + 1;
  }
  return best;
}

function compressed(groups) {
  const [at, len] = zeroRun(groups);
  if (at < 0) return groups.map(hex).join(':');
  return `${groups.slice(0, at).map(hex).join(':')}::${groups.slice(at + len).map(hex).join(':')}`;
}

/**
 * An IPv6 address (eight 16-bit groups) written the ways people and tools
 * write them: 0 compressed (RFC 5952), 1 upper case, 2 every group in full
 * with leading zeros, 3 the low 32 bits as a dotted quad, 4 no compression at
 * all. ip6tables accepts each; ip6tables-save prints the compressed form.
 */
export function writeIp6(groups, style) {
  switch (style) {
    case 1: return compressed(groups).toUpperCase();
    case 2: return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
    case 3: {
      const v4 = `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
      const head = compressed([...groups.slice(0, 6), 1, 1]).replace(/:1:1$/, '');
      return `${head}${head.endsWith('::') ? '' : ':'}${v4}`;
    }
    case 4: return groups.map(hex).join(':');
    default: return compressed(groups);
  }
}
