#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point of the installed `artifactstore` command; runs the compiled CLI. The smaller young
// generation makes V8 collect the buffers of streamed bodies sooner, which keeps the server's
// memory flat during large transfers.
import '../dist/cli/main.js';
