import { parseWwwAuthenticate } from '../src';

describe('parseWwwAuthenticate', () => {
  test.each([
    [
      'Docker Hub bearer',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
    ],
    [
      'scope with a comma inside quotes',
      'Bearer realm="https://r/t",scope="repository:a/b:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://r/t', scope: 'repository:a/b:pull,push' } }],
    ],
    [
      'error=insufficient_scope',
      'Bearer realm="https://r/t",service="s",scope="repository:x:pull,push",error="insufficient_scope"',
      [{ scheme: 'bearer', params: { realm: 'https://r/t', service: 's', scope: 'repository:x:pull,push', error: 'insufficient_scope' } }],
    ],
    ['basic', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['unquoted values and spaces', 'Bearer  realm=https://r/t , service=reg', [{ scheme: 'bearer', params: { realm: 'https://r/t', service: 'reg' } }]],
    ['case-insensitive scheme and names', 'BEARER Realm="x"', [{ scheme: 'bearer', params: { realm: 'x' } }]],
    ['escaped quote', 'Basic realm="a \\"b\\" c"', [{ scheme: 'basic', params: { realm: 'a "b" c' } }]],
    [
      'several challenges in one header',
      'Basic realm="b", Bearer realm="https://r/t",service="s"',
      [
        { scheme: 'basic', params: { realm: 'b' } },
        { scheme: 'bearer', params: { realm: 'https://r/t', service: 's' } },
      ],
    ],
    ['token68 is skipped', 'Negotiate abc==, Basic realm="x"', [{ scheme: 'negotiate', params: {} }, { scheme: 'basic', params: { realm: 'x' } }]],
    ['empty', '', []],
    ['unterminated quote keeps what it has', 'Bearer realm="https://r', [{ scheme: 'bearer', params: { realm: 'https://r' } }]],
  ])('%s', (_name, header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });
});
