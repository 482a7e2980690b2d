// Finishes the build: copies the sandbox runners next to the compiled code and makes the CLI executable.
import { chmodSync, cpSync } from 'node:fs';

cpSync('src/sandbox/runners', 'dist/sandbox/runners', { recursive: true });
chmodSync('dist/faces/cli/main.js', 0o755);
