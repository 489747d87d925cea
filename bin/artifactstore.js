#!/usr/bin/env node
// Entry point of the installed `artifactstore` command; runs the compiled CLI.
import '../dist/cli/main.js';
