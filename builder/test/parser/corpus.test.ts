import { dump, parse, DockerfileSyntaxError } from '@berth/builder';
import { corpusCases, readCorpus } from './corpus';

describe('BuildKit parser corpus', () => {
  const positive = corpusCases('parser/testfiles');

  it('has all 33 positive cases', () => {
    expect(positive).toHaveLength(33);
  });

  it.each(positive)('%s dumps exactly as BuildKit', (name) => {
    const text = readCorpus('parser/testfiles', name, 'Dockerfile');
    const expected = readCorpus('parser/testfiles', name, 'result').replace(/\r\n/g, '\n');
    expect(dump(parse(text)) + '\n').toBe(expected);
  });

  it.each(corpusCases('parser/testfiles-negative'))('%s fails to parse', (name) => {
    const text = readCorpus('parser/testfiles-negative', name, 'Dockerfile');
    expect(() => parse(text)).toThrow(DockerfileSyntaxError);
  });

  it('testfile-line gives the line ranges BuildKit expects', () => {
    const ast = parse(readCorpus('parser/testfile-line/Dockerfile'));
    expect([ast.startLine, ast.endLine]).toEqual([5, 31]);
    expect(ast.instructions.map((n) => [n.startLine, n.endLine])).toEqual([
      [5, 5],
      [11, 12],
      [17, 31],
    ]);
  });
});
