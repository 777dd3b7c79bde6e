// Text from a file or a host, made safe to look at: control characters that a
// browser would draw as nothing (a CRLF file's \r, an escape sequence in a log
// prefix) are written out as escapes, so "Bad argument `\r'" never reads as
// "Bad argument ` '". Tabs stay tabs. (Escapes, not Unicode control pictures:
// not every monospace font has those.)

/** C0 controls (but tab), DEL and C1 controls as `\r`, `\n` or `\xNN`. */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(text)) return text;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) =>
    c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
