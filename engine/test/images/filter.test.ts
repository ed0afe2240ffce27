import { imageFilter } from '../../src/images/filter';

describe('images --filter', () => {
  const tagged = { dangling: false, name: 'busybox', tag: 'latest' };
  const app = { dangling: false, name: 'localhost:5000/team/app', tag: '1' };
  const dangling = { dangling: true, name: undefined, tag: undefined };

  it('dangling=true|false', () => {
    expect([tagged, dangling].map(imageFilter(['dangling=true']))).toEqual([false, true]);
    expect([tagged, dangling].map(imageFilter(['dangling=false']))).toEqual([true, false]);
  });

  it('reference globs over name and name:tag, * not crossing /', () => {
    expect([tagged, app, dangling].map(imageFilter(['reference=busybox']))).toEqual([true, false, false]);
    expect([tagged, app].map(imageFilter(['reference=busy*:lat*']))).toEqual([true, false]);
    expect([tagged, app].map(imageFilter(['reference=localhost:5000/*']))).toEqual([false, false]);
    expect([tagged, app].map(imageFilter(['reference=localhost:5000/*/*']))).toEqual([false, true]);
    expect([tagged, app].map(imageFilter(['reference=busybox', 'reference=*/*/app']))).toEqual([true, true]);
  });

  it('bad filters are usage errors naming the filter', () => {
    expect(() => imageFilter(['label'])).toThrow('bad format of filter (expected name=value): label');
    expect(() => imageFilter(['since=x'])).toThrow("invalid filter 'since'");
    expect(() => imageFilter(['dangling=maybe'])).toThrow("invalid filter 'dangling=maybe'");
  });
});
