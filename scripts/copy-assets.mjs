// Copies the non-TypeScript files the build needs next to the compiled code (sandbox runners).
import { cpSync } from 'node:fs';

cpSync('src/sandbox/runners', 'dist/sandbox/runners', { recursive: true });
