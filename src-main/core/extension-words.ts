// A rule's matches and target in words for the app's rule list, each in its
// extension's words (MatchExtension.words) or as iptables-save prints it: the
// renderer names no extension, and reads no printed text back.
import type { Match, Target } from './model.js';
import { findMatch } from './extensions/registry.js';
import { saveMatch, saveTarget } from './canonical.js';

/** What the match tests, one phrase per test ("to port 22"); its printed form (`-m NAME …`) when its extension has no words. */
export function matchWords(m: Match): string[] {
  const text = () => saveMatch(m).trim();
  const ext = m.unknown ? undefined : findMatch(m.name);
  return ext?.words ? ext.words(m.state, text) : [text()];
}

/** The target's options as iptables-save prints them, after `-j NAME` ('' when it has none). */
export function targetDetail(t: Target): string {
  const printed = saveTarget(t);
  // ` -j NAME` (or ` -g CHAIN`) and the space after it
  const head = printed.indexOf(' ', 4);
  return head < 0 ? '' : printed.slice(head + 1).trim();
}
