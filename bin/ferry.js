#!/usr/bin/env node
// The published entry point: the compiled CLI. `npm start` builds it first when needed.
import '../dist/cli/ferry.js'
