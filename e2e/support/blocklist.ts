// A blocklist-heavy filter table, the shape that made the lint quadratic:
// tens of thousands of single-address DROPs in one chain, then rate-limited
// accepts for many ports, each with the DROP that makes its limit mean
// something. Deterministic for a given size.
export function blocklistRuleset(rules: number, limited = Math.round(rules / 10)): string {
  const drops = rules - 2 * limited - 3;
  const out = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':blocklist - [0:0]', ':ratelimit - [0:0]'];
  out.push('-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -j blocklist', '-A INPUT -j ratelimit');
  // addresses from a multiplicative walk over 32 bits: distinct, not in order
  let x = 0x2545f491;
  for (let k = 0; k < drops; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const a = 1 + (x >>> 24) % 223;
    out.push(`-A blocklist -s ${a}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}/32 -j DROP`);
  }
  for (let k = 0; k < limited; k++) {
    const port = 1024 + k;
    out.push(`-A ratelimit -p tcp -m tcp --dport ${port} -m conntrack --ctstate NEW -m limit --limit ${1 + (k % 50)}/sec --limit-burst ${10 + (k % 90)} -j ACCEPT`);
    out.push(`-A ratelimit -p tcp -m tcp --dport ${port} -m conntrack --ctstate NEW -j DROP`);
  }
  out.push('COMMIT', '');
  return out.join('\n');
}
