import { describe, expect, it } from 'vitest';
import { parseRuleset } from './parse.js';
import { writePreserving } from './preserve.js';
import { findDrift, mergeLiveOnly } from './drift.js';
import { diffRulesets } from './diff.js';

const filter = (rules: string, decl = '') => `*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${decl}${rules}COMMIT\n`;
const SAVED = filter('# ssh first\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 80 -j ACCEPT\n');
// someone ran `iptables -I INPUT 2 -s 198.18.9.9 -j DROP` and added a chain by hand
const RUNNING = filter(
  '-A INPUT -i lo -j ACCEPT\n-A INPUT -s 198.18.9.9/32 -j DROP\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n-A INPUT -j f2b\n-A f2b -s 198.18.7.7/32 -j REJECT\n',
  ':f2b - [0:0]\n',
);
const p = (t: string) => parseRuleset(t);

describe('findDrift', () => {
  it('lists the running rules the saved file lacks, and which of them a proposal would remove', () => {
    const d = findDrift(p(SAVED).ruleset, p(RUNNING).ruleset, p(SAVED).ruleset);
    expect(d.drifted).toBe(true);
    expect(d.liveOnly.map((r) => `${r.chain} #${r.index} ${r.text}`)).toEqual([
      'INPUT #2 -A INPUT -s 198.18.9.9/32 -j DROP',
      'INPUT #5 -A INPUT -j f2b',
      'f2b #1 -A f2b -s 198.18.7.7/32 -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(d.savedOnly).toEqual([]);
    expect(d.liveOnlyMissing).toHaveLength(3);
    // a proposal made from the running rules keeps them all
    expect(findDrift(p(SAVED).ruleset, p(RUNNING).ruleset, p(RUNNING).ruleset).liveOnlyMissing).toEqual([]);
  });

  it('sees no drift between spellings of the same rules, and sees a reorder and a policy', () => {
    expect(findDrift(p(SAVED).ruleset, p(SAVED.replace('--dport 22', '-m tcp --destination-port 22')).ruleset, null).drifted).toBe(false);
    const swapped = filter('-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 80 -j ACCEPT\n').replace(':INPUT DROP', ':INPUT ACCEPT');
    const d = findDrift(p(SAVED).ruleset, p(swapped).ruleset, null);
    expect(d.drifted).toBe(true);
    expect(d.liveOnly).toEqual([]);
    expect(d.policies).toEqual([{ table: 'filter', chain: 'INPUT', saved: 'DROP', running: 'ACCEPT' }]);
  });
});

describe('mergeLiveOnly', () => {
  it('puts each live-only rule back where it runs, keeps the admin’s comments, and then an apply removes nothing live', () => {
    // the admin's proposal: the saved file with port 80 changed to 8080
    const proposal = p(SAVED.replace('--dport 80', '--dport 8080'));
    const { ruleset, added } = mergeLiveOnly(proposal.ruleset, p(SAVED).ruleset, p(RUNNING).ruleset);
    expect(added).toBe(3);
    const text = writePreserving(proposal, ruleset);
    expect(text).toContain('# ssh first');
    const merged = p(text);
    expect(merged.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const changes = diffRulesets(p(RUNNING).ruleset, merged.ruleset).changes;
    // against the running rules only the admin's own edit remains
    expect(changes).toEqual([
      { op: 'replace', table: 'filter', chain: 'INPUT', index: 4, fromIndex: 4, from: '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT', to: '-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT' },
    ]);
    expect(findDrift(p(SAVED).ruleset, p(RUNNING).ruleset, merged.ruleset).liveOnlyMissing).toEqual([]);
  });

  it('does not bring back a saved rule the admin deleted, and merging twice adds nothing more', () => {
    const proposal = p(SAVED.replace('-A INPUT -p tcp --dport 80 -j ACCEPT\n', ''));
    const once = mergeLiveOnly(proposal.ruleset, p(SAVED).ruleset, p(RUNNING).ruleset);
    const text = writePreserving(proposal, once.ruleset);
    expect(text).not.toContain('--dport 80');
    const again = mergeLiveOnly(p(text).ruleset, p(SAVED).ruleset, p(RUNNING).ruleset);
    expect(again.added).toBe(0);
  });
});
