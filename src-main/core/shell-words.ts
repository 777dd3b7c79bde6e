// Reading a shell script the way sh splits it into commands and words, for the
// importer. This is NOT the iptables-restore tokenizer: in sh, single quotes
// are literal, double quotes allow `\$ \" \\ \``, an unquoted backslash escapes
// the next character, backslash-newline continues the line, `$VAR` expands
// (and, unquoted, splits on blanks), and `;` `&&` `||` `|` `&` separate commands.
// Anything we cannot evaluate offline ($(…), `…`, undefined variables) is
// recorded on the word so the importer can say so instead of guessing.

interface Position {
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

interface ShellCommand {
  words: ShellWord[];
  /** where the command starts (its first word, or where it would be) */
  line: number;
  /** the separator after it: ';', '&&', '||', '|', '&', or '\n' / '' at a line end or the end */
  sep: string;
  /** redirections were present (`> file`, `2>/dev/null`); they are dropped */
  redirected: boolean;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPECIAL_PARAMS = '@*#?$!-0123456789';
const ASSIGNMENT = /[A-Za-z_][A-Za-z0-9_]*=/y;
/** characters that end a run of ordinary word characters (ASCII only; everything else is ordinary) */
const SPECIAL_IN_WORD = new Uint8Array(128);
for (const c of ' \t\n;&|<>()\\\'"$`') SPECIAL_IN_WORD[c.charCodeAt(0)] = 1;

/** Reads a script command by command (`next`), as sh splits it. */
export function shellLexer(source: string): ShellLexer {
  return new ShellLexer(source);
}

const isBlank = (c: string) => c === ' ' || c === '\t';
const isMeta = (c: string) => c === '\n' || c === ';' || c === '&' || c === '|' || c === '<' || c === '>' || c === '(' || c === ')';
/** a redirection operator: [n]> >> < <& >& &> and here-documents */
const REDIRECTION = /^(?:\d*(?:>>|>&|<&|>\||<<<|<<|<>|>|<)|&>>?)/;
/** ${NAME}, ${NAME-default}, ${NAME:-default} (and = for assignment, read as a default here) */
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(?:(:?[-=])(.*))?$/s;

type Lookup = (name: string) => string | undefined;

/**
 * The script and where the reading is: offsets to line and column,
 * separators and redirections between words, here-document bodies skipped.
 * One word is read by a WordReader.
 */
class ShellLexer {
  readonly text: string;
  readonly n: number;
  private readonly lineStarts: number[] = [0];
  /** where the reading is */
  p = 0;
  /** characters produced by expansions so far (bounded by MAX_EXPANDED) */
  expanded = 0;
  /** here-document delimiters waiting for the end of the current line */
  private readonly heredocs: { delim: string; tabs: boolean }[] = [];

  constructor(source: string) {
    const text = source.replace(/\r\n/g, '\n');
    this.text = text;
    this.n = text.length;
    for (let k = 0; k < text.length; k++) if (text[k] === '\n') this.lineStarts.push(k + 1);
  }

  posOf(off: number): Position {
    const lineStarts = this.lineStarts;
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: off - lineStarts[lo] + 1 };
  }

  /** the next command, expanding variables with `lookup`; null at the end of the script */
  next(lookup: Lookup): ShellCommand | null {
    const { text, n } = this;
    const words: ShellWord[] = [];
    let redirected = false;
    let line = 0;
    for (;;) {
      this.skipBlanks();
      if (this.p >= n) {
        if (words.length === 0 && !redirected) return null;
        return { words, line: line || this.posOf(Math.max(0, n - 1)).line, sep: '', redirected };
      }
      if (!line) line = this.posOf(this.p).line;
      if (text[this.p] === '#') {
        const e = text.indexOf('\n', this.p);
        this.p = e < 0 ? n : e;
        continue;
      }
      const sep = this.separator();
      if (sep !== null) return { words, line, sep, redirected };
      if (this.redirection(lookup)) {
        redirected = true;
        continue;
      }
      words.push(...new WordReader(this, lookup).read());
    }
  }

  /** blanks and line continuations */
  private skipBlanks(): void {
    const { text, n } = this;
    while (this.p < n && (isBlank(text[this.p]) || (text[this.p] === '\\' && text[this.p + 1] === '\n'))) this.p += isBlank(text[this.p]) ? 1 : 2;
  }

  /** The separator at p (newline, ; ( ) && & || |), read past; null when there is none. */
  private separator(): string | null {
    const text = this.text;
    const c = text[this.p];
    if (c === '\n') {
      this.p++;
      if (this.heredocs.length) this.skipHeredocs();
      return '\n';
    }
    if (c === ';' || c === '(' || c === ')') {
      this.p += text[this.p + 1] === ';' ? 2 : 1;
      return ';';
    }
    if (c === '&' && text[this.p + 1] !== '>') {
      const two = text[this.p + 1] === '&';
      this.p += two ? 2 : 1;
      return two ? '&&' : '&';
    }
    if (c === '|') {
      const two = text[this.p + 1] === '|';
      this.p += two ? 2 : 1;
      return two ? '||' : '|';
    }
    return null;
  }

  /** A redirection at p and its target word, read past (a here-document's delimiter noted); false when there is none. */
  private redirection(lookup: Lookup): boolean {
    const { text, n } = this;
    const p = this.p;
    const c = text[p];
    const redir = REDIRECTION.exec(text.slice(p, p + 5));
    if (!redir || (c === '&' && text[p + 1] !== '>') || (/\d/.test(c) && !/^\d+[<>]/.test(text.slice(p, p + 4)))) return false;
    this.p += redir[0].length;
    const heredoc = /(?:^|[^<])<<$/.test(redir[0]);
    const tabs = heredoc && text[this.p] === '-';
    if (tabs) this.p++;
    while (this.p < n && isBlank(text[this.p])) this.p++;
    if (this.p < n && !isMeta(text[this.p])) {
      const target = new WordReader(this, lookup).read();
      if (heredoc && target.length) this.heredocs.push({ delim: target[0].text, tabs });
    }
    return true;
  }

  /** p is just after a newline: skip each pending here-document body up to its delimiter line */
  private skipHeredocs(): void {
    const { text, n } = this;
    for (const h of this.heredocs.splice(0)) {
      while (this.p < n) {
        const e = text.indexOf('\n', this.p);
        const line = text.slice(this.p, e < 0 ? n : e);
        this.p = e < 0 ? n : e + 1;
        if ((h.tabs ? line.replace(/^\t+/, '') : line) === h.delim) break;
      }
    }
  }

  /** skip to the matching close of `$(` or backtick; returns the end offset (after the close) */
  skipSubstitution(from: number, backtick: boolean): number {
    const { text, n } = this;
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
  }
}

/** A piece of a word: literal (or quoted) text, or an unquoted expansion that field splitting cuts at blanks. */
interface Seg {
  text: string;
  split: boolean;
}

/**
 * One word at the lexer's position: quotes, escapes and expansions, then
 * field splitting of unquoted expansions (so one word of the script may give
 * none, one or several words).
 */
class WordReader {
  private readonly start: number;
  private readonly assignment: boolean;
  private readonly segs: Seg[] = [];
  private readonly unresolved: Unresolved[] = [];
  /** literal text not yet in segs */
  private lit = '';
  private quoted = false;
  /** length of segs' text */
  private segsLen = 0;

  constructor(
    private readonly lx: ShellLexer,
    private readonly lookup: Lookup,
  ) {
    this.start = lx.p;
    ASSIGNMENT.lastIndex = this.start;
    this.assignment = ASSIGNMENT.test(lx.text);
  }

  read(): ShellWord[] {
    const lx = this.lx;
    const { text, n } = lx;
    const startPos = lx.posOf(this.start);
    while (lx.p < n) {
      const c = text[lx.p];
      if (isBlank(c) || isMeta(c)) break;
      if (c === '\\') this.backslash();
      else if (c === "'") this.singleQuoted();
      else if (c === '"') this.doubleQuoted();
      else if (c === '$') this.expandAt(false);
      else if (c === '`') this.backtick();
      else {
        // a run of ordinary characters goes in as one slice
        let e = lx.p + 1;
        while (e < n && !SPECIAL_IN_WORD[text.charCodeAt(e)]) e++;
        this.lit += text.slice(lx.p, e);
        lx.p = e;
      }
    }
    this.flush();
    const { quoted, unresolved, assignment } = this;
    // an unquoted empty expansion leaves no word at all, as in sh
    return this.fields().map((f) => ({ text: f, quoted, unresolved, assignment, ...startPos }));
  }

  private flush(): void {
    if (this.lit) this.segs.push({ text: this.lit, split: false });
    this.segsLen += this.lit.length;
    this.lit = '';
  }

  private backslash(): void {
    const lx = this.lx;
    if (lx.text[lx.p + 1] === '\n') {
      lx.p += 2; // line continuation
      return;
    }
    if (lx.p + 1 < lx.n) this.lit += lx.text[lx.p + 1];
    this.quoted = true;
    lx.p += 2;
  }

  private singleQuoted(): void {
    const lx = this.lx;
    this.quoted = true;
    const e = lx.text.indexOf("'", lx.p + 1);
    this.lit += e < 0 ? lx.text.slice(lx.p + 1) : lx.text.slice(lx.p + 1, e);
    lx.p = e < 0 ? lx.n : e + 1;
  }

  private doubleQuoted(): void {
    const lx = this.lx;
    const { text, n } = lx;
    this.quoted = true;
    lx.p++;
    while (lx.p < n && text[lx.p] !== '"') {
      const d = text[lx.p];
      if (d === '\\' && lx.p + 1 < n && '$`"\\\n'.includes(text[lx.p + 1])) {
        if (text[lx.p + 1] !== '\n') this.lit += text[lx.p + 1];
        lx.p += 2;
      } else if (d === '$') this.expandAt(true);
      else if (d === '`') this.backtick();
      else this.lit += text[lx.p++];
    }
    lx.p++;
  }

  /** `…`: only known when the script runs; kept as written */
  private backtick(): void {
    const lx = this.lx;
    const end = lx.skipSubstitution(lx.p + 1, true);
    this.unresolved.push({ name: lx.text.slice(lx.p, end), kind: 'substitution', ...lx.posOf(lx.p) });
    this.lit += lx.text.slice(lx.p, end);
    lx.p = end;
  }

  /** text[p] === '$': $NAME, ${…}, $(…), $1 and the special parameters, $'…' */
  private expandAt(inDouble: boolean): void {
    const lx = this.lx;
    const { text, n } = lx;
    const at = lx.p;
    const c = text[lx.p + 1];
    if (c === '(') {
      const end = lx.skipSubstitution(lx.p + 2, false);
      this.push(at, inDouble, text.slice(at, end), undefined, 'substitution');
      lx.p = end;
    } else if (c === '{') this.braced(at, inDouble);
    else if (c !== undefined && NAME_START.test(c)) {
      let k = lx.p + 1;
      while (k < n && NAME_CHAR.test(text[k])) k++;
      const name = text.slice(lx.p + 1, k);
      lx.p = k;
      this.push(at, inDouble, name, this.lookup(name));
    } else if (c !== undefined && SPECIAL_PARAMS.includes(c)) {
      lx.p += 2;
      this.push(at, inDouble, c, this.lookup(c));
    } else if (c === "'" && !inDouble) this.ansiC();
    else {
      this.lit += '$';
      lx.p++;
    }
  }

  /** ${NAME}, ${NAME:-default}; anything else in braces is only known when the script runs */
  private braced(at: number, inDouble: boolean): void {
    const lx = this.lx;
    const close = lx.text.indexOf('}', lx.p + 2);
    const body = close < 0 ? lx.text.slice(lx.p + 2) : lx.text.slice(lx.p + 2, close);
    lx.p = close < 0 ? lx.n : close + 1;
    const m = BRACED.exec(body);
    if (!m) {
      this.push(at, inDouble, '${' + body + '}', undefined, 'substitution');
      return;
    }
    const v = this.lookup(m[1]);
    const useDefault = m[2] !== undefined && (v === undefined || (m[2].startsWith(':') && v === ''));
    this.push(at, inDouble, m[1], useDefault ? m[3] : v);
  }

  /** $'…' (ANSI-C quoting) */
  private ansiC(): void {
    const lx = this.lx;
    const { text, n } = lx;
    this.quoted = true;
    lx.p += 2;
    while (lx.p < n && text[lx.p] !== "'") {
      if (text[lx.p] === '\\' && lx.p + 1 < n) {
        const e = text[lx.p + 1];
        this.lit += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        lx.p += 2;
      } else this.lit += text[lx.p++];
    }
    lx.p++;
  }

  /** The value of an expansion at offset `at` goes into the word: unknown (noted), too long (dropped), or text to split unless quoted. */
  private push(at: number, inDouble: boolean, name: string, value: string | undefined, kind: Unresolved['kind'] = 'variable'): void {
    const lx = this.lx;
    if (value === undefined) {
      this.unresolved.push({ name, kind, ...lx.posOf(at) });
      this.lit += kind === 'variable' ? '${' + name + '}' : name;
      return;
    }
    if (this.segsLen + this.lit.length + value.length > MAX_WORD || lx.expanded + value.length > MAX_EXPANDED) {
      this.unresolved.push({ name, kind: 'too-long', ...lx.posOf(at) });
      return;
    }
    lx.expanded += value.length;
    if (inDouble || this.assignment) this.lit += value;
    else {
      this.flush();
      this.segs.push({ text: value, split: true });
      this.segsLen += value.length;
    }
  }

  /** field splitting of unquoted expansions */
  private fields(): string[] {
    const fields: string[] = [];
    let cur = '';
    let has = this.quoted || this.unresolved.length > 0;
    for (const s of this.segs) {
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
    return fields;
  }
}
