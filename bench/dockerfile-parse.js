#!/usr/bin/env node
'use strict';
// Parses a generated 10,000-instruction Dockerfile with the compiled parser
// and prints how long parsing took. Build first: `npx tsc -b builder`.
// Whole-process budget (issue 7): under 0.25 s including Node's start, e.g.
//   hyperfine -w 3 'node bench/dockerfile-parse.js'
const path = require('node:path');

const N = Number(process.argv[2] ?? 10_000);

/** A mix of every grammar: continuations, flags, JSON, ENV/LABEL pairs, heredocs, comments, ONBUILD. */
function generate(n) {
  const shapes = [
    (i) => `FROM --platform=$BUILDPLATFORM golang:1.22 AS stage${i}`,
    (i) => `RUN apt-get update \\\n    && apt-get install -y pkg${i} \\\n    && rm -rf /var/lib/apt/lists/*`,
    (i) => `COPY --from=stage0 --chown=app:app --chmod=0644 src/${i} /app/${i}/`,
    (i) => `ENV KEY${i}=value${i} OTHER${i}="two words" PATH=/usr/local/bin:$PATH`,
    (i) => `# comment ${i}\nLABEL org.example.n${i}="${i}" version=1`,
    (i) => `RUN --mount=type=cache,target=/root/.cache/${i} <<EOF\nset -e\necho ${i}\nEOF`,
    (i) => `CMD ["/bin/app", "--id", "${i}"]`,
    (i) => `ONBUILD RUN echo ${i}`,
    (i) => `ARG A${i}=${i}`,
    (i) => `HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost:${i}/ || exit 1`,
  ];
  const out = [];
  for (let i = 0; i < n; i++) out.push(shapes[i % shapes.length](i));
  return out.join('\n') + '\n';
}

let parser;
try {
  parser = require(path.join(__dirname, '../builder/dist/parser/index.js'));
} catch {
  console.error('bench: builder is not built; run `npx tsc -b builder` first');
  process.exit(1);
}
const text = generate(N);
const cpu = process.cpuUsage();
const start = performance.now();
const ast = parser.parse(text);
const ms = performance.now() - start;
const used = process.cpuUsage(cpu);
if (ast.instructions.length !== N) throw new Error(`expected ${N} instructions, got ${ast.instructions.length}`);
console.log(
  `parsed ${N} instructions (${ast.endLine} lines, ${Buffer.byteLength(text)} bytes) in ${ms.toFixed(1)} ms ` +
    `(${((used.user + used.system) / 1000).toFixed(1)} ms CPU); ${performance.now().toFixed(0)} ms since Node started`,
);
