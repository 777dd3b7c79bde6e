// log-drops: a LOGGING chain at the bottom of INPUT that logs (rate-limited)
// and then drops. The seed appended its rules after `-A INPUT -j LOGGING`,
// where they can never match; here the jump goes last, before nothing. When
// the chain already ends in a catch-all DROP/REJECT, the jump takes its place
// and LOGGING ends with that same verdict, so nothing changes but the logging.
import { findChain, findTable } from '../model.js';
import { canonicalRuleBody } from '../canonical.js';
import { targetAction } from '../analysis/targets.js';
import { defineRecipe, type RecipeRule } from './types.js';
import { findCatchAll } from './place.js';
import { fam } from './family.js';
import { ruleMaker } from './rules.js';

export const logDrops = /* @__PURE__ */ defineRecipe({
  name: 'log-drops',
  title: 'Log dropped packets',
  summary: 'a LOGGING chain at the bottom: rate-limited LOG, then the drop (takes the place of an existing catch-all, keeping its verdict)',
  description:
    'Sends every packet that reaches the end of the chain to a LOGGING chain, which logs it (at most at the given rate, so a flood cannot fill the disk) and then drops it. When the chain already ends with a rule that drops or rejects everything, the jump takes that rule\'s place and LOGGING ends with the same verdict: the firewall decides exactly as before, it only logs. Messages go to the kernel log (journalctl -k, /var/log/messages).',
  ipv6:
    'The same chain in ip6tables, rejecting with ICMPv6\'s port unreachable. A DROP or REJECT at the end of IPv6\'s INPUT also drops neighbour discovery unless a rule above accepts it: the recipe refuses then (the host would lose IPv6) — add the Basic host firewall\'s ICMPv6 rules first.',
  params: [
    { name: 'prefix', label: 'Log prefix', help: 'text at the start of every log message, to find them (at most 29 characters)', type: 'text', default: 'IPTables Packet Dropped: ', maxLength: 29 },
    { name: 'limit', label: 'Rate', help: 'at most this many messages per second, minute, hour or day', type: 'rate', default: '2/min' },
    { name: 'level', label: 'Log level', help: 'syslog level of the messages, 0 (emerg) to 7 (debug)', type: 'int', default: '7', min: 0, max: 7 },
    { name: 'chain', label: 'Chain', help: 'the chain whose leftover packets are logged', type: 'enum', choices: ['INPUT', 'FORWARD', 'OUTPUT'], default: 'INPUT' },
    { name: 'log-chain', label: 'Logging chain', help: 'the name of the chain that logs and drops', type: 'text', default: 'LOGGING', maxLength: 28 },
    { name: 'verdict', label: 'Verdict', help: 'what happens to the logged packets when the chain does not already end in a DROP or REJECT for everything', type: 'enum', choices: ['DROP', 'REJECT'], default: 'DROP' },
  ] as const,
  check(v) {
    const n = v['log-chain'];
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(n) || ['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING', 'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'QUEUE', 'LOG'].includes(n))
      return [{ param: 'log-chain', message: `"${n}" cannot be a chain name`, fix: 'use letters, digits, _ . - (not a builtin chain or target name), e.g. LOGGING' }];
    if (v.prefix.includes('"')) return [{ param: 'prefix', message: 'contains a double quote', fix: 'leave the quotes out' }];
    return [];
  },
  generate(v, ctx) {
    const rule = ruleMaker(ctx.family);
    const lc = v['log-chain'];
    const notes: string[] = ['LOG messages go to the kernel log: journalctl -k or /var/log/messages on CentOS 7'];
    let finalBody = v.verdict === 'REJECT' ? ` -j REJECT --reject-with ${fam(ctx.family).portUnreachable}` : ' -j DROP';
    let replaces: string | undefined;
    let refusal: string | undefined;
    const t = ctx.ruleset && findTable(ctx.ruleset, 'filter');
    const c = t && findChain(t, v.chain);
    if (t && c) {
      const at = findCatchAll(t, c);
      if (at >= 0) {
        const r = c.rules[at];
        const a = targetAction(r);
        const body = canonicalRuleBody({ ...r, matches: [] });
        if (a.kind === 'drop' || a.kind === 'reject') {
          finalBody = body;
          replaces = canonicalRuleBody(r);
          notes.push(`${v.chain} #${at + 1} (-A ${v.chain}${replaces}) is replaced by the jump to ${lc}, which ends with the same${body.trim() === finalBody.trim() ? '' : ''} verdict (${body.trim()})`);
        } else if (!((a.kind === 'jump' || a.kind === 'goto') && a.chain === lc)) {
          refusal = a.kind === 'accept'
            ? `${v.chain} #${at + 1} accepts every packet that reaches it, so nothing is dropped at the end of ${v.chain}: there is nothing to log there`
            : `${v.chain} #${at + 1} (-A ${v.chain}${canonicalRuleBody(r)}) already decides every packet that reaches it; put the LOG rule where that rule sends them, or remove it first`;
        }
      }
    }
    const rules: RecipeRule[] = [
      rule('filter', `-A ${lc} -m limit --limit ${v.limit.text} -j LOG --log-prefix "${v.prefix}" --log-level ${v.level}`,
        `logs the packet with the prefix "${v.prefix}", at most ${v.limit.count} per ${v.limit.unit} (more are not logged, but still dropped), then lets it go on to the next rule`),
      rule('filter', `-A ${lc}${finalBody}`, `${finalBody.includes('REJECT') ? 'rejects' : 'drops'} every packet that reaches the logging chain, logged or not`, { catchAll: true }),
      rule('filter', `-A ${v.chain} -j ${lc}`,
        `sends every packet no rule above accepted to ${lc}; it is the last rule of ${v.chain}, since nothing after it could ever match`,
        { catchAll: true, userChains: [lc], ...(replaces !== undefined ? { replaces } : {}) }),
    ];
    return { chains: [{ table: 'filter' as const, name: lc, why: 'logs and then drops the packets sent to it' }], rules, preconditions: [
      { kind: 'logging', what: 'kernel log messages are kept', why: 'LOG writes to the kernel log; rsyslog or journald keeps them', check: 'journalctl -k -n 5', fix: 'systemctl enable --now rsyslog (CentOS 7 default)' },
    ], notes, ...(refusal ? { refusal } : {}) };
  },
});
