#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS BERTH_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --
'use strict';
// `node --`: Node 20 looks for its own --env-file anywhere in argv (even after the script) and
// exits 9 on a missing file; `berth run --env-file F` must reach berth.
// NODE_EXTRA_CA_CERTS moves aside: Node parses that bundle at every start (~57 ms) and berth needs
// it only to reach a registry; cli/main.js hands it to the registry client (and back to children).
// The compiled CLI (`npx tsc -b engine`); kept tiny so start-up stays fast.
require('../dist/cli/main.js');
