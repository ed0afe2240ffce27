#!/usr/bin/env -S node --
'use strict';
// `node --`: Node 20 looks for its own --env-file anywhere in argv (even after the script) and
// exits 9 on a missing file; `berth run --env-file F` must reach berth.
// The compiled CLI (`npx tsc -b engine`); kept tiny so start-up stays fast.
require('../dist/cli/main.js');
