import { STRICT, goJson, parseTemplate, renderFormat, tabwrite } from '../../src/format/template';

const exec = (src: string, data: unknown): string => parseTemplate(src).execute(data);

describe('Go template subset', () => {
  const data = {
    [STRICT]: true,
    Id: 'sha256:abc',
    RepoTags: ['busybox:latest', 'x:1'],
    Config: { Env: ['A=1'], Labels: { a: 'b' }, Entrypoint: null, Cmd: ['sh'] },
    Size: 42,
    Html: '<&>',
  };

  it('prints fields, nested fields, and values as Go prints them', () => {
    expect(exec('{{.Id}} {{.Size}}', data)).toBe('sha256:abc 42');
    expect(exec('{{.Config.Cmd}} {{.RepoTags}} {{.Config.Entrypoint}}', data)).toBe('[sh] [busybox:latest x:1] <nil>');
    expect(exec('{{.Config.Labels}}', data)).toBe('map[a:b]');
    expect(exec('{{.Config.Labels.missing}}', data)).toBe('<no value>');
  });

  it('json as Go marshals it (compact, HTML escaped), as a function and in a pipeline', () => {
    expect(exec('{{json .Config.Cmd}}', data)).toBe('["sh"]');
    expect(exec('{{.Html | json}}', data)).toBe('"\\u003c\\u0026\\u003e"');
    expect(goJson({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(exec('{{json .}}', { A: 1 })).toBe('{"A":1}');
  });

  it('if/else, range, trim markers, functions', () => {
    expect(exec('{{if .Config.Entrypoint}}yes{{else}}no{{end}}', data)).toBe('no');
    expect(exec('{{range .RepoTags}}[{{.}}]{{end}}', data)).toBe('[busybox:latest][x:1]');
    expect(exec('{{range .Config.Env}}{{.}}{{else}}none{{end}} {{range .Nope2}}x{{else}}none{{end}}', { ...data, Nope2: [] })).toBe('A=1 none');
    expect(exec('a  {{- .Size -}}  b', data)).toBe('a42b');
    expect(exec('{{join .RepoTags ","}} {{upper "x"}} {{len .RepoTags}}', data)).toBe('busybox:latest,x:1 X 2');
    expect(exec('{{index .Config.Labels "a"}}', data)).toBe('b');
  });

  it('refuses unknown fields of a known shape, unknown functions and broken templates with a TemplateError', () => {
    expect(() => exec('{{.Nope}}', data)).toThrow(/can't evaluate field Nope/);
    expect(() => exec('{{nope .Id}}', data)).toThrow(/function "nope" not defined/);
    expect(() => exec('{{.Id', data)).toThrow(/unclosed action/);
    expect(() => exec('{{if .Id}}x', data)).toThrow(/missing \{\{end\}\}/);
    try {
      exec('{{.Nope}}', data);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('ERR_BERTH_TEMPLATE');
    }
  });

  it('table formats: a header row from the field names and columns aligned like tabwriter (min 10, padding 3)', () => {
    const rows = [{ [STRICT]: true, Repository: 'busybox', Tag: 'latest' }, { [STRICT]: true, Repository: 'a-very-long-repository', Tag: '1' }];
    expect(renderFormat('table {{.Repository}}\\t{{.Tag}}', rows, { Repository: 'REPOSITORY', Tag: 'TAG' })).toBe(
      'REPOSITORY               TAG\nbusybox                  latest\na-very-long-repository   1\n',
    );
    expect(renderFormat('{{.Repository}}:{{.Tag}}', rows, {})).toBe('busybox:latest\na-very-long-repository:1\n');
    expect(tabwrite(['a\tb\tc', 'dd\te\tf'])).toBe('a         b         c\ndd        e         f\n');
  });
});
