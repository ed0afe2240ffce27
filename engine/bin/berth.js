#!/usr/bin/env node
'use strict';
// The compiled CLI (`npx tsc -b engine`); kept tiny so start-up stays fast.
require('../dist/cli/main.js');
