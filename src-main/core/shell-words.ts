// Reading a shell script the way sh splits it into commands and words, for the
// importer. This is NOT the iptables-restore tokenizer: in sh, single quotes
// are literal, double quotes allow `\$ \" \\ \``, an unquoted backslash escapes
// the next character, backslash-newline continues the line, `$VAR` expands
// (and, unquoted, splits on blanks), and `;` `&&` `||` `|` `&` separate commands.
// Anything we cannot evaluate offline ($(…), `…`, undefined variables) is
// recorded on the word so the importer can say so instead of guessing.

export interface Position {
  /** 1-based line */
  line: number;
  /** 1-based column */
  col: number;
}

export interface Unresolved extends Position {
  /** variable name (`HOST`, `1`) or the substitution as written (`$(hostname -I)`) */
  name: string;
  /** `too-long`: the expansion would pass MAX_WORD (or the script's MAX_EXPANDED); the value is dropped */
  kind: 'variable' | 'substitution' | 'too-long';
}

/** Longest word variable expansion may build: any iptables argument is far shorter. */
export const MAX_WORD = 65536;
/** Most characters all expansions of one script may produce (40 doublings of a variable must not fill memory). */
export const MAX_EXPANDED = 8 * 1024 * 1024;

export interface ShellWord extends Position {
  text: string;
  /** some part of it was quoted (so an empty word still counts) */
  quoted: boolean;
  /** parts whose value is only known when the script runs */
  unresolved: Unresolved[];
  /** the word is `NAME=value` with NAME written literally (a shell assignment) */
  assignment: boolean;
}

export interface ShellCommand {
  words: ShellWord[];
  /** where the command starts (its first word, or where it would be) */
  line: number;
  /** the separator after it: ';', '&&', '||', '|', '&', or '\n' / '' at a line end or the end */
  sep: string;
  /** redirections were present (`> file`, `2>/dev/null`); they are dropped */
  redirected: boolean;
}

export interface ShellLexer {
  /** the next command, expanding variables with `lookup`; null at the end of the script */
  next(lookup: (name: string) => string | undefined): ShellCommand | null;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPECIAL_PARAMS = '@*#?$!-0123456789';
const ASSIGNMENT = /[A-Za-z_][A-Za-z0-9_]*=/y;
/** characters that end a run of ordinary word characters (ASCII only; everything else is ordinary) */
const SPECIAL_IN_WORD = new Uint8Array(128);
for (const c of ' \t\n;&|<>()\\\'"$`') SPECIAL_IN_WORD[c.charCodeAt(0)] = 1;

export function shellLexer(source: string): ShellLexer {
  const text = source.replace(/\r\n/g, '\n');
  const lineStarts: number[] = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === '\n') lineStarts.push(k + 1);
  const posOf = (off: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: off - lineStarts[lo] + 1 };
  };
  let p = 0;
  const n = text.length;
  /** characters produced by expansions so far (bounded by MAX_EXPANDED) */
  let expanded = 0;
  /** here-document delimiters waiting for the end of the current line */
  const heredocs: { delim: string; tabs: boolean }[] = [];
  const skipHeredocs = () => {
    // p is just after a newline: skip each pending body up to its delimiter line
    for (const h of heredocs.splice(0)) {
      while (p < n) {
        const e = text.indexOf('\n', p);
        const line = text.slice(p, e < 0 ? n : e);
        p = e < 0 ? n : e + 1;
        if ((h.tabs ? line.replace(/^\t+/, '') : line) === h.delim) break;
      }
    }
  };

  const isBlank = (c: string) => c === ' ' || c === '\t';
  const isMeta = (c: string) => c === '\n' || c === ';' || c === '&' || c === '|' || c === '<' || c === '>' || c === '(' || c === ')';

  /** skip to the matching close of `$(` or backtick; returns the end offset (after the close) */
  const skipSubstitution = (from: number, backtick: boolean): number => {
    if (backtick) {
      let k = from;
      while (k < n && text[k] !== '`') k += text[k] === '\\' ? 2 : 1;
      return Math.min(n, k + 1);
    }
    let depth = 1;
    let k = from;
    while (k < n && depth > 0) {
      const c = text[k];
      if (c === '\\') k += 2;
      else if (c === "'") {
        const e = text.indexOf("'", k + 1);
        k = e < 0 ? n : e + 1;
      } else {
        if (c === '(') depth++;
        else if (c === ')') depth--;
        k++;
      }
    }
    return k;
  };

  interface Seg {
    text: string;
    split: boolean;
  }

  function readWord(lookup: (name: string) => string | undefined): ShellWord[] {
    const start = p;
    const startPos = posOf(start);
    ASSIGNMENT.lastIndex = start;
    const assignment = ASSIGNMENT.test(text);
    const segs: Seg[] = [];
    const unresolved: Unresolved[] = [];
    let lit = '';
    let quoted = false;
    let segsLen = 0;
    const flush = () => {
      if (lit) segs.push({ text: lit, split: false });
      segsLen += lit.length;
      lit = '';
    };
    const expandAt = (inDouble: boolean): void => {
      // text[p] === '$'
      const at = p;
      const c = text[p + 1];
      const push = (name: string, value: string | undefined, kind: Unresolved['kind'] = 'variable') => {
        if (value === undefined) {
          unresolved.push({ name, kind, ...posOf(at) });
          lit += kind === 'variable' ? '${' + name + '}' : name;
          return;
        }
        if (segsLen + lit.length + value.length > MAX_WORD || expanded + value.length > MAX_EXPANDED) {
          unresolved.push({ name, kind: 'too-long', ...posOf(at) });
          return;
        }
        expanded += value.length;
        if (inDouble || assignment) lit += value;
        else {
          flush();
          segs.push({ text: value, split: true });
          segsLen += value.length;
        }
      };
      if (c === '(') {
        const end = skipSubstitution(p + 2, false);
        push(text.slice(at, end), undefined, 'substitution');
        p = end;
        return;
      }
      if (c === '{') {
        const close = text.indexOf('}', p + 2);
        const body = close < 0 ? text.slice(p + 2) : text.slice(p + 2, close);
        p = close < 0 ? n : close + 1;
        const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(?:(:?[-=])(.*))?$/s.exec(body);
        if (!m) {
          push('${' + body + '}', undefined, 'substitution');
          return;
        }
        const v = lookup(m[1]);
        const useDefault = m[2] !== undefined && (v === undefined || (m[2].startsWith(':') && v === ''));
        push(m[1], useDefault ? m[3] : v);
        return;
      }
      if (c !== undefined && NAME_START.test(c)) {
        let k = p + 1;
        while (k < n && NAME_CHAR.test(text[k])) k++;
        const name = text.slice(p + 1, k);
        p = k;
        push(name, lookup(name));
        return;
      }
      if (c !== undefined && SPECIAL_PARAMS.includes(c)) {
        p += 2;
        push(c, lookup(c));
        return;
      }
      if (c === "'" && !inDouble) {
        // $'…' (ANSI-C quoting)
        quoted = true;
        p += 2;
        while (p < n && text[p] !== "'") {
          if (text[p] === '\\' && p + 1 < n) {
            const e = text[p + 1];
            lit += e === 'n' ? '\n' : e === 't' ? '\t' : e;
            p += 2;
          } else lit += text[p++];
        }
        p++;
        return;
      }
      lit += '$';
      p++;
    };

    while (p < n) {
      const c = text[p];
      if (isBlank(c) || isMeta(c)) break;
      if (c === '\\') {
        if (text[p + 1] === '\n') {
          p += 2; // line continuation
          continue;
        }
        if (p + 1 < n) lit += text[p + 1];
        quoted = true;
        p += 2;
        continue;
      }
      if (c === "'") {
        quoted = true;
        const e = text.indexOf("'", p + 1);
        lit += e < 0 ? text.slice(p + 1) : text.slice(p + 1, e);
        p = e < 0 ? n : e + 1;
        continue;
      }
      if (c === '"') {
        quoted = true;
        p++;
        while (p < n && text[p] !== '"') {
          const d = text[p];
          if (d === '\\' && p + 1 < n && '$`"\\\n'.includes(text[p + 1])) {
            if (text[p + 1] !== '\n') lit += text[p + 1];
            p += 2;
          } else if (d === '$') expandAt(true);
          else if (d === '`') {
            const end = skipSubstitution(p + 1, true);
            unresolved.push({ name: text.slice(p, end), kind: 'substitution', ...posOf(p) });
            lit += text.slice(p, end);
            p = end;
          } else lit += text[p++];
        }
        p++;
        continue;
      }
      if (c === '$') {
        expandAt(false);
        continue;
      }
      if (c === '`') {
        const end = skipSubstitution(p + 1, true);
        unresolved.push({ name: text.slice(p, end), kind: 'substitution', ...posOf(p) });
        lit += text.slice(p, end);
        p = end;
        continue;
      }
      // a run of ordinary characters goes in as one slice
      let e = p + 1;
      while (e < n && !SPECIAL_IN_WORD[text.charCodeAt(e)]) e++;
      lit += text.slice(p, e);
      p = e;
    }
    flush();

    // field splitting of unquoted expansions
    const fields: string[] = [];
    let cur = '';
    let has = quoted || unresolved.length > 0;
    for (const s of segs) {
      if (!s.split) {
        cur += s.text;
        has = true;
        continue;
      }
      const parts = s.text.split(/[ \t\n]+/);
      for (let k = 0; k < parts.length; k++) {
        if (k > 0 && (cur || has)) {
          if (cur || has) fields.push(cur);
          cur = '';
          has = false;
        }
        if (parts[k]) {
          cur += parts[k];
          has = true;
        }
      }
    }
    if (cur || has) fields.push(cur);
    // an unquoted empty expansion leaves no word at all, as in sh
    return fields.map((f) => ({ text: f, quoted, unresolved, assignment, ...startPos }));
  }

  return {
    next(lookup) {
      const words: ShellWord[] = [];
      let redirected = false;
      let line = 0;
      for (;;) {
        // blanks and continuations
        while (p < n && (isBlank(text[p]) || (text[p] === '\\' && text[p + 1] === '\n'))) p += isBlank(text[p]) ? 1 : 2;
        if (p >= n) {
          if (words.length === 0 && !redirected) return null;
          return { words, line: line || posOf(Math.max(0, n - 1)).line, sep: '', redirected };
        }
        if (!line) line = posOf(p).line;
        const c = text[p];
        if (c === '#') {
          const e = text.indexOf('\n', p);
          p = e < 0 ? n : e;
          continue;
        }
        if (c === '\n') {
          p++;
          if (heredocs.length) skipHeredocs();
          return { words, line, sep: '\n', redirected };
        }
        if (c === ';' || c === '(' || c === ')') {
          p += text[p + 1] === ';' ? 2 : 1;
          return { words, line, sep: ';', redirected };
        }
        if (c === '&' && text[p + 1] !== '>') {
          const two = text[p + 1] === '&';
          p += two ? 2 : 1;
          return { words, line, sep: two ? '&&' : '&', redirected };
        }
        if (c === '|') {
          const two = text[p + 1] === '|';
          p += two ? 2 : 1;
          return { words, line, sep: two ? '||' : '|', redirected };
        }
        // redirections: [n]> >> < <& >& &> and their target word
        const redir = /^(?:\d*(?:>>|>&|<&|>\||<<<|<<|<>|>|<)|&>>?)/.exec(text.slice(p, p + 5));
        if (redir && (c !== '&' || text[p + 1] === '>') && (/\d/.test(c) ? /^\d+[<>]/.test(text.slice(p, p + 4)) : true)) {
          redirected = true;
          p += redir[0].length;
          const heredoc = /(?:^|[^<])<<$/.test(redir[0]);
          const tabs = heredoc && text[p] === '-';
          if (tabs) p++;
          while (p < n && isBlank(text[p])) p++;
          if (p < n && !isMeta(text[p])) {
            const target = readWord(lookup);
            if (heredoc && target.length) heredocs.push({ delim: target[0].text, tabs });
          }
          continue;
        }
        words.push(...readWord(lookup));
      }
    },
  };
}
