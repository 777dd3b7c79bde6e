// CentOS 7's stock /etc/sysconfig/iptables (iptables-services, sysconfig_iptables):
// the ruleset the apply and recipe tests start from.

/** its comment lines, in order */
export const STOCK_COMMENTS = [
  '# sample configuration for iptables service',
  '# you can edit this manually or use system-config-firewall',
  '# please do not ask us to add additional ports/services to this default configuration',
];

/** its rules, as iptables-save prints them */
export const STOCK_RULE_LINES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
  '-A INPUT -p icmp -j ACCEPT',
  '-A INPUT -i lo -j ACCEPT',
  '-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
  '-A INPUT -j REJECT --reject-with icmp-host-prohibited',
  '-A FORWARD -j REJECT --reject-with icmp-host-prohibited',
  'COMMIT',
];

/** the stock rule that lets SSH in */
export const STOCK_SSH_RULE = '-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n';

/** The stock file with its first `comments` comment lines (0: the rules alone, as iptables-save prints them). */
export function stockRuleset(comments = 0): string {
  return [...STOCK_COMMENTS.slice(0, comments), ...STOCK_RULE_LINES].join('\n') + '\n';
}

/**
 * The stock file with `rules` (whole lines) added to INPUT just before its
 * final REJECT, and without the SSH rule when `ssh` is false.
 */
export function stockWith(rules: string, opts: { comments?: number; ssh?: boolean } = {}): string {
  const text = stockRuleset(opts.comments ?? 0).replace('-A INPUT -j REJECT', `${rules}-A INPUT -j REJECT`);
  return opts.ssh === false ? text.replace(STOCK_SSH_RULE, '') : text;
}
