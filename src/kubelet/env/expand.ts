/**
 * $(VAR) expansion in env values, command and args (Kubernetes' expansion rules): $(NAME) is
 * replaced by NAME's value when NAME is defined, and kept as written otherwise; $$ escapes a
 * dollar ("$$(X)" → "$(X)"); a $ before anything else, or an unclosed "$(", stays literal.
 */

/** expand replaces $(NAME) references in text using lookup (undefined = not defined). */
export function expand(text: string, lookup: (name: string) => string | undefined): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$' || i + 1 >= text.length) {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
        continue;
      }
      const name = text.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}
