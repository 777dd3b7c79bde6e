// Highlighting for iptables-save / iptables-restore text: a small stream
// language (one line at a time, no state across lines) — table headers,
// chain declarations with their policy, COMMIT, comments and `#-A` disabled
// rules, options, `!`, quoted strings, addresses and numbers, and the target
// after -j / -g coloured by what it does.
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StreamParser } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';

interface LineState {
  /** the previous word was -j/-g/--jump/--goto: this word is a target */
  target: boolean;
  /** the line is a `#` comment (all of it) */
  comment: boolean;
}

const VERDICTS: Record<string, string> = { ACCEPT: 'accept', DROP: 'drop', REJECT: 'drop', RETURN: 'keyword', LOG: 'log' };

const parser: StreamParser<LineState> = {
  name: 'iptables',
  startState: () => ({ target: false, comment: false }),
  token(stream, state) {
    if (stream.sol()) {
      state.target = false;
      state.comment = false;
      // a disabled rule reads like a rule, dimmed; any other # line is a comment
      if (stream.match(/^#\s*(?=(-A|--append)\s)/)) return 'meta';
      if (stream.peek() === '#') {
        stream.skipToEnd();
        return 'comment';
      }
      if (stream.match(/^\*\S+/)) return 'heading';
      if (stream.match(/^COMMIT\b/)) return 'keyword';
      if (stream.match(/^:\S+/)) return 'def';
    }
    if (stream.eatSpace()) return null;
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) {
      state.target = false;
      return 'string';
    }
    if (stream.match(/^\[\d+:\d+\]/)) return 'meta';
    if (stream.match(/^!(?=\s|$)/)) return 'operator';
    const m = stream.match(/^-{1,2}[A-Za-z0-9][\w-]*/) as RegExpMatchArray | null;
    if (m) {
      state.target = /^(-j|-g|--jump|--goto)$/.test(m[0]);
      return /^(-A|--append|-I|--insert|-N|-P|-D|-R|-F|-X)$/.test(m[0]) ? 'keyword' : 'attribute';
    }
    const w = stream.match(/^\S+/) as RegExpMatchArray | null;
    if (!w) {
      stream.next();
      return null;
    }
    if (state.target) {
      state.target = false;
      return VERDICTS[w[0]] ?? 'target';
    }
    if (/^(ACCEPT|DROP)$/.test(w[0])) return VERDICTS[w[0]];
    if (/^[\d.:/,x-]+$/i.test(w[0])) return 'number';
    return null;
  },
  tokenTable: {
    heading: t.heading,
    def: t.definition(t.variableName),
    attribute: t.attributeName,
    accept: t.special(t.string),
    drop: t.invalid,
    log: t.annotation,
    target: t.typeName,
  },
};

export const iptablesLanguage = StreamLanguage.define(parser);

/** colours from the app's own palette (CSS variables), so light and dark both work */
export const iptablesHighlight = syntaxHighlighting(
  HighlightStyle.define([
    { tag: t.comment, color: 'var(--muted)', fontStyle: 'italic' },
    { tag: t.meta, color: 'var(--faint)' },
    { tag: t.heading, color: 'var(--accent)', fontWeight: '700' },
    { tag: t.keyword, color: 'var(--accent)', fontWeight: '600' },
    { tag: t.definition(t.variableName), color: 'var(--text)', fontWeight: '600' },
    { tag: t.attributeName, color: 'var(--info)' },
    { tag: t.operator, color: 'var(--warning)', fontWeight: '700' },
    { tag: t.string, color: 'var(--warning)' },
    { tag: t.number, color: 'var(--text)' },
    { tag: t.special(t.string), color: 'var(--accept)', fontWeight: '700' },
    { tag: t.invalid, color: 'var(--drop)', fontWeight: '700' },
    { tag: t.annotation, color: 'var(--warning)', fontWeight: '600' },
    { tag: t.typeName, color: 'var(--accent)', textDecoration: 'underline' },
  ]),
);
