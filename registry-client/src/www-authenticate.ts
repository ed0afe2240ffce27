/** One challenge from a `WWW-Authenticate` header: `Bearer realm="...",service="..."`. */
export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`. */
  scheme: string;
  /** Parameters with lower-cased names and unquoted values. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses RFC 7235 challenges. Handles several challenges in one header,
 * quoted values with escapes and commas (`scope="repository:a:pull,push"`),
 * unquoted values, and token68 (ignored). Never throws: a malformed tail is
 * dropped, since a partly understood challenge is still worth trying.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(header[i])) i++;
    return header.slice(start, i);
  };
  // Unquoted values are tokens by the RFC, but realms like https://r/t are
  // sent bare in the wild: take everything up to a comma or space.
  const readBare = (): string => {
    const start = i;
    while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string => {
    let v = '';
    i++; // opening quote
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      v += header[i++];
    }
    i++; // closing quote
    return v;
  };

  let current: Challenge | undefined;
  while (i < n) {
    skipWs();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const name = readToken();
    if (!name) {
      i++; // skip a stray character
      continue;
    }
    skipWs();
    if (header[i] === '=' && current && header[i + 1] !== '=') {
      i++;
      skipWs();
      const value = header[i] === '"' ? readQuoted() : readBare();
      current.params[name.toLowerCase()] = value;
      continue;
    }
    if (header[i] === '=') {
      // token68 after a scheme (`Negotiate abc==`), or a stray `=`: skip it.
      while (i < n && header[i] !== ',') i++;
      continue;
    }
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}
