// Ruleset files are bytes; Portcullis works on text. A file that is not UTF-8
// (a Latin-1 comment, a stray byte) is refused with the place of the first bad
// byte — never decoded with replacement characters, which would change the
// comment and, written back, the file. iptables itself keeps such bytes as they
// are (a comment "café" in Latin-1 loads and saves byte for byte).

interface DecodeProblem {
  /** 1-based line and byte column of the first byte that is not UTF-8 */
  line: number;
  col: number;
  byte: number;
  message: string;
}

type Decoded = { ok: true; text: string } | { ok: false; problem: DecodeProblem };

const fatal = new TextDecoder('utf-8', { fatal: true });

export function decodeRulesetBytes(bytes: Uint8Array): Decoded {
  try {
    return { ok: true, text: fatal.decode(bytes) };
  } catch {
    const at = firstInvalid(bytes);
    let line = 1;
    let start = 0;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) { line++; start = i + 1; }
    const col = at - start + 1;
    const byte = bytes[at] ?? 0;
    return {
      ok: false,
      problem: {
        line, col, byte,
        message: `not UTF-8 text: line ${line}, byte ${col} of the line is 0x${byte.toString(16).padStart(2, '0').toUpperCase()}, which does not start or continue a UTF-8 character (a Latin-1 comment?); convert the file to UTF-8 (iconv -f latin1 -t utf-8) or remove the byte`,
      },
    };
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (bytes.length if none). */
export function firstInvalid(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}
