#!/usr/bin/env node
'use strict';
// The compiled CLI (npm run build / tsc -b builds runtime/dist).
require('../dist/cli/main.js').main(process.argv.slice(2));
